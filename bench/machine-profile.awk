# Where the whole machine's CPU goes per request, from `perf script -F comm,pid,ip,sym,dso` of `perf record -a -F HZ`
# (no call graphs: each sample is charged to the function it was in). Used by run-issuer-bench.sh (MACHINE_PROFILE=1).
#
# awk -v hz=499 -v seconds=16 -v cpus=2 -v requests=N -v issuer=PID -v loadgen=PID -v redis=PID -v postgres="PID PID..."
#     -v top=25 -f machine-profile.awk
#
# Prints "part<TAB>us_per_request<TAB>share_of_machine" rows (one sample is 1e6/hz us of one CPU), then the issuer's
# costliest functions outside the signature and the JVM's own code.

# Sorts keys[1..n] by count[key], largest first.
function by_count(keys, n, count,   i, j, t) {
    for (i = 2; i <= n; i++) { t = keys[i]; for (j = i - 1; j >= 1 && count[keys[j]] < count[t]; j--) keys[j + 1] = keys[j]; keys[j + 1] = t }
}
function part(name) {
    if (!(name in cost)) order[++parts] = name
    cost[name]++
}
BEGIN {
    split(postgres, pg, " ")
    for (i in pg) is_pg[pg[i]] = 1
    # The signature's code, for any of the issuer's algorithms: Bouncy Castle (EdDSA), Tink, the JDK's EC and RSA.
    signature = "org\\.bouncycastle\\.|com\\.google\\.crypto\\.tink\\.|sun\\.security\\.(ec|rsa|util\\.math)\\.|java\\.math\\.BigInteger"
}
{
    comm = substr($0, 1, 16); sub(/^ +/, "", comm)
    rest = substr($0, 17)
    split(rest, f, " ")
    pid = f[1]
    dso = rest; sub(/.*\(/, "", dso); sub(/\)$/, "", dso)
    sym = rest; sub(/^ *[0-9]+ +[0-9a-f]+ /, "", sym); sub(/ \([^(]*\)$/, "", sym)
    kernel = dso == "[kernel.kallsyms]"
    total++
    # pid 0 is the idle task: its idle loop is idle time, but interrupts and scheduling that land on an idle CPU run
    # in it too (3.6-3.8 % of its samples in bench/README 4.0r's profile), and those are work.
    if (pid == 0) { part(sym ~ /halt|idle/ ? "idle" : "kernel on idle CPUs (interrupts, scheduling)"); next }
    if (pid == issuer) {
        if (comm ~ /^C[12] CompilerThre/) part("issuer: JIT compiler threads")
        else if (comm ~ /^(GC |G1 |VM Thread)/) part("issuer: garbage collector and VM thread")
        else if (kernel) part("issuer: kernel (sockets, wake-ups, interrupts)")
        else if (sym ~ signature) part("issuer: signature (" (sym ~ /bouncycastle/ ? "Bouncy Castle" : "JDK/Tink") ")")
        else if (dso ~ /libjvm\.so$/) part("issuer: JVM runtime on request threads")
        else {
            part("issuer: Java (frameworks, gRPC/HTTP, Mutiny, clients, ours)")
            java[sym]++
        }
        next
    }
    if (pid == loadgen) { part(kernel ? "load generator: kernel" : "load generator: user"); next }
    if (pid in is_pg) { part(kernel ? "postgres: kernel" : "postgres: user"); next }
    if (pid == redis) { part("redis"); next }
    part(kernel ? "other processes: kernel" : "other processes: user")
}
END {
    if (total == 0 || requests <= 0) { print "no samples or no requests" > "/dev/stderr"; exit 1 }
    us = 1e6 / hz
    printf "part\tus_per_request\tshare_of_machine\n"
    by_count(order, parts, cost)
    for (i = 1; i <= parts; i++) printf "%s\t%.2f\t%.1f%%\n", order[i], cost[order[i]] * us / requests, 100 * cost[order[i]] / total
    printf "all (%d samples, %d CPUs x %s s x %s Hz)\t%.2f\t100%%\n", total, cpus, seconds, hz, total * us / requests
    printf "\nissuer: Java, costliest functions (self, us per request)\n"
    n = 0
    for (s in java) { n++; keys[n] = s }
    by_count(keys, n, java)
    for (i = 1; i <= n && i <= top; i++) printf "%.3f\t%s\n", java[keys[i]] * us / requests, keys[i]
}
