package dev.lifespan.bench;

/**
 * The fields of one {@code /proc/<pid>/stat} line that CPU accounting needs (proc(5)); times are in clock ticks.
 *
 * @param pid    process id
 * @param comm   executable name, as the kernel shows it (may contain spaces and parentheses)
 * @param ppid   parent process id
 * @param utime  user time of the process itself
 * @param stime  system time of the process itself
 * @param cutime user time of the children it has waited for (each including their own waited-for children)
 * @param cstime system time of those children
 */
public record ProcStat(int pid, String comm, int ppid, long utime, long stime, long cutime, long cstime) {

    /** Parses one stat line. The name is the text between the first '(' and the last ')'. */
    public static ProcStat parse(String line) {
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        if (open < 0 || close < open) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + line);
        }
        int pid = Integer.parseInt(line.substring(0, open).trim());
        String comm = line.substring(open + 1, close);
        // after ")": field 3 (state) is rest[0], so field n is rest[n - 3]
        String[] rest = line.substring(close + 1).trim().split("\\s+");
        if (rest.length < 15) {
            throw new IllegalArgumentException("short /proc/<pid>/stat line: " + line);
        }
        return new ProcStat(pid, comm, Integer.parseInt(rest[4 - 3]), Long.parseLong(rest[14 - 3]),
                Long.parseLong(rest[15 - 3]), Long.parseLong(rest[16 - 3]), Long.parseLong(rest[17 - 3]));
    }

    /**
     * CPU used by this process and every descendant it has reaped. Summed over all live members of a process tree
     * this is everything the tree has ever used, including descendants that have exited (a PostgreSQL backend's
     * time moves into the postmaster's {@code cutime} when the postmaster reaps it).
     */
    public long ticksIncludingReapedChildren() {
        return utime + stime + cutime + cstime;
    }

    /** CPU used by this process's own threads. */
    public long ownTicks() {
        return utime + stime;
    }
}
