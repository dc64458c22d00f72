# Sourced by the bench scripts: waits for other CPU load to go away before a measured run.
# Needs log() and WAIT_QUIET (seconds to wait at most) from the sourcing script.
host_busy() { awk '$1 == "cpu" {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }  # busy total
busy_cores_over() { # seconds
  local a b; a=$(host_busy); sleep "$1"; b=$(host_busy)
  awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; if (t <= 0) t = 1
                                                   printf "%.2f", n * (y[1] - x[1]) / t }'
}
wait_quiet() {
  local t0=$SECONDS streak=0 busy
  while :; do
    busy=$(busy_cores_over 5)
    if awk -v b="$busy" 'BEGIN { exit !(b <= 0.2) }'; then streak=$((streak + 1)); else streak=0; fi
    [ "$streak" -ge 2 ] && { log "machine quiet ($busy cores busy)"; return 0; }
    [ $((SECONDS - t0)) -ge "$WAIT_QUIET" ] && { log "WARNING: still $busy cores busy after ${WAIT_QUIET}s; running anyway"; return 0; }
  done
}
