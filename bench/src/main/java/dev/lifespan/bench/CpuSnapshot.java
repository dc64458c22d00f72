package dev.lifespan.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU counters at one instant: the machine, this process, and the server process trees.
 *
 * @param nanos  {@link System#nanoTime()} when taken
 * @param host   machine-wide counters
 * @param self   this JVM's own ticks (all threads)
 * @param server the server trees (issuer JVM, postmaster with its backends, ...)
 */
record CpuSnapshot(long nanos, HostCpu host, long self, ProcFs.TreeCpu server) {

    static CpuSnapshot take(ProcFs proc, List<Integer> serverPids) {
        long now = System.nanoTime();
        HostCpu host = proc.hostCpu();
        long self = proc.stat(ProcessHandle.current().pid()).map(ProcStat::ownTicks).orElse(0L);
        return new CpuSnapshot(now, host, self, proc.treeCpu(serverPids));
    }

    /**
     * What was used between {@code start} and {@code end}.
     *
     * @param seconds        wall time between the two snapshots
     * @param serverTicks    all server trees together
     * @param serverByRoot   each server tree ("pid name" to ticks)
     * @param selfTicks      the load generator
     * @param hostBusyTicks  the whole machine, busy
     * @param hostIrqTicks   the whole machine, in interrupts
     * @param hostTotalTicks the whole machine, all
     * @param vanishedRoots  server roots that exited in between (their figures are incomplete)
     */
    record Usage(double seconds, long serverTicks, Map<String, Long> serverByRoot, long selfTicks, long hostBusyTicks,
            long hostIrqTicks, long hostTotalTicks, List<Integer> vanishedRoots) {
    }

    static Usage between(CpuSnapshot start, CpuSnapshot end) {
        Map<String, Long> byRoot = new LinkedHashMap<>();
        List<Integer> vanished = new ArrayList<>();
        for (Map.Entry<Integer, Long> e : end.server.ticksByRoot().entrySet()) {
            int pid = e.getKey();
            long before = start.server.ticksByRoot().getOrDefault(pid, 0L);
            if (!"(gone)".equals(start.server.rootNames().get(pid)) && "(gone)".equals(end.server.rootNames().get(pid))) {
                vanished.add(pid);
            }
            String name = start.server.rootNames().getOrDefault(pid, end.server.rootNames().get(pid));
            byRoot.put(pid + " " + name, Math.max(0, e.getValue() - before));
        }
        return new Usage((end.nanos - start.nanos) / 1e9,
                Math.max(0, end.server.totalTicks() - start.server.totalTicks()), byRoot,
                end.self - start.self,
                end.host.busy() - start.host.busy(),
                end.host.irq() - start.host.irq(),
                end.host.total() - start.host.total(),
                vanished);
    }
}
