package dev.lifespan.bench;

/**
 * The machine-wide {@code cpu} line of {@code /proc/stat}, in clock ticks summed over all CPUs. Split the way the
 * Keycloak peer harness splits it, so both tables compare: busy = total - idle - iowait - steal.
 *
 * @param total  user + nice + system + idle + iowait + irq + softirq + steal (guest time is inside user and nice)
 * @param idle   idle + iowait
 * @param steal  time the hypervisor gave to someone else
 * @param irq    irq + softirq (mostly loopback TCP here)
 */
public record HostCpu(long total, long idle, long steal, long irq) {

    /** Parses the first line of /proc/stat ({@code cpu  user nice system idle iowait irq softirq steal ...}). */
    public static HostCpu parse(String cpuLine) {
        String[] f = cpuLine.trim().split("\\s+");
        if (f.length < 9 || !f[0].equals("cpu")) {
            throw new IllegalArgumentException("not the cpu line of /proc/stat: " + cpuLine);
        }
        long user = Long.parseLong(f[1]);
        long nice = Long.parseLong(f[2]);
        long system = Long.parseLong(f[3]);
        long idle = Long.parseLong(f[4]);
        long iowait = Long.parseLong(f[5]);
        long irq = Long.parseLong(f[6]);
        long softirq = Long.parseLong(f[7]);
        long steal = Long.parseLong(f[8]);
        return new HostCpu(user + nice + system + idle + iowait + irq + softirq + steal, idle + iowait, steal,
                irq + softirq);
    }

    /** Ticks the CPUs spent running something (including interrupts) for this machine. */
    public long busy() {
        return total - idle - steal;
    }
}
