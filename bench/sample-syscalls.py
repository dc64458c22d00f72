#!/usr/bin/env python3
"""Once a second, appends `epoch-seconds pid process syscr syscw` for every issuer (quarkus-run.jar) and
LoadGenerator JVM to the file named by the first argument: the read and write system calls each has made so far,
from /proc/PID/io. Runs beside bench/run-issuer-bench.sh; divide the per-second differences by a mode's ok/s to get
system calls per request (bench/README.md section 4.0). Reads /proc only, starts no processes: it costs nothing the
benchmark's CPU figures would see."""
import os
import sys
import time

with open(sys.argv[1], 'a') as out:
    while True:
        now = int(time.time())
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                with open('/proc/%s/cmdline' % pid, 'rb') as f:
                    cmd = f.read()
                if b'java' not in cmd:
                    continue
                name = 'LoadGenerator' if b'LoadGenerator' in cmd else 'quarkus-run.jar' if b'quarkus-run.jar' in cmd else None
                if name is None:
                    continue
                with open('/proc/%s/io' % pid) as f:
                    io = dict(line.split(': ') for line in f.read().splitlines() if ': ' in line)
                out.write('%d %s %s %s %s\n' % (now, pid, name, io['syscr'], io['syscw']))
            except (OSError, KeyError, ValueError):
                pass  # the process ended between listing and reading
        out.flush()
        time.sleep(1)
