package dev.lifespan.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads process and machine CPU counters from a proc filesystem (normally {@code /proc}; a directory in tests). */
public final class ProcFs {

    private final Path root;

    public ProcFs(Path root) {
        this.root = root;
    }

    /** The real {@code /proc}. */
    public static ProcFs system() {
        return new ProcFs(Path.of("/proc"));
    }

    /** The stat of {@code pid}, or empty if it has exited. */
    public Optional<ProcStat> stat(long pid) {
        try {
            return Optional.of(ProcStat.parse(Files.readString(root.resolve(Long.toString(pid)).resolve("stat"))));
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        } catch (IOException e) {
            // a process exiting while we read it can fail with ESRCH rather than ENOENT
            return Optional.empty();
        }
    }

    /** Every process now, by pid. */
    public Map<Integer, ProcStat> allProcesses() {
        Map<Integer, ProcStat> all = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, entry -> isPid(entry.getFileName().toString()))) {
            for (Path dir : dirs) {
                stat(Long.parseLong(dir.getFileName().toString())).ifPresent(s -> all.put(s.pid(), s));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        return all;
    }

    /** Clock ticks per second ({@code getconf CLK_TCK}), the unit of every counter here; 100 if unknown. */
    public static long clockTicksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes()).trim();
            if (getconf.waitFor() == 0 && !out.isEmpty()) {
                return Long.parseLong(out);
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to the Linux default
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }

    /** The machine-wide CPU counters. */
    public HostCpu hostCpu() {
        try {
            return HostCpu.parse(Files.readAllLines(root.resolve("stat")).get(0));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + root.resolve("stat"), e);
        }
    }

    /**
     * CPU used so far by each process tree rooted at {@code roots} (each root plus all its live descendants, found
     * through ppid), counting exited descendants through their reaper's {@code cutime}/{@code cstime}. The difference
     * of two samples is what the trees used in between, even if members came and went.
     */
    public TreeCpu treeCpu(Collection<Integer> roots) {
        return treeCpu(roots, allProcesses());
    }

    /** As {@link #treeCpu(Collection)}, over an already-read process table. */
    public static TreeCpu treeCpu(Collection<Integer> roots, Map<Integer, ProcStat> all) {
        Map<Integer, List<Integer>> children = new HashMap<>();
        for (ProcStat s : all.values()) {
            children.computeIfAbsent(s.ppid(), k -> new ArrayList<>()).add(s.pid());
        }
        Map<Integer, Long> byRoot = new LinkedHashMap<>();
        Map<Integer, String> names = new LinkedHashMap<>();
        Set<Integer> union = new LinkedHashSet<>();
        for (int rootPid : roots) {
            Set<Integer> tree = new LinkedHashSet<>();
            Deque<Integer> todo = new ArrayDeque<>();
            if (all.containsKey(rootPid)) {
                todo.add(rootPid);
            }
            while (!todo.isEmpty()) {
                int pid = todo.poll();
                if (tree.add(pid)) {
                    todo.addAll(children.getOrDefault(pid, List.of()));
                }
            }
            byRoot.put(rootPid, tree.stream().mapToLong(p -> all.get(p).ticksIncludingReapedChildren()).sum());
            names.put(rootPid, all.containsKey(rootPid) ? all.get(rootPid).comm() : "(gone)");
            union.addAll(tree);
        }
        long total = union.stream().mapToLong(p -> all.get(p).ticksIncludingReapedChildren()).sum();
        return new TreeCpu(total, byRoot, names, union.size());
    }

    private static boolean isPid(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * CPU ticks used so far by some process trees.
     *
     * @param totalTicks  all trees together, each process counted once even if trees overlap
     * @param ticksByRoot each root's tree on its own
     * @param rootNames   each root's executable name
     * @param processes   live processes in the trees at sampling time
     */
    public record TreeCpu(long totalTicks, Map<Integer, Long> ticksByRoot, Map<Integer, String> rootNames,
            int processes) {
    }
}
