# perf script (with -g) output for one pid -> inclusive sample counts of frames matching each pattern, per request.
# usage: perf script -i F -F comm,tid,ip,sym | awk -v requests=N -v hz=H -v patterns="p1|p2|..." -f inclusive.awk
BEGIN { np = split(patterns, pat, "|"); total = 0 }
function flush(   i) { if (!insample) return; total++; for (i = 1; i <= np; i++) if (hit[i]) count[i]++; delete hit; insample = 0 }
/^[^ \t]/ { flush(); insample = 1; next }
/^$/ { flush(); next }
{ for (i = 1; i <= np; i++) if (index($0, pat[i])) hit[i] = 1 }
END { flush(); us = 1e6 / hz; printf "all samples of the pid: %d (%.2f us per request)\n", total, total * us / requests
      for (i = 1; i <= np; i++) printf "%8.2f us  %5.1f%%  %s\n", count[i] * us / requests, 100 * count[i] / total, pat[i] }
