package dev.lifespan.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ProcFsTest {

    @TempDir
    Path proc;

    @Test
    void parsesStatLinesWhoseNameHasSpacesAndParentheses() {
        ProcStat stat = ProcStat.parse("4242 (postgres: bench (idle)) S 4100 4100 4100 0 -1 4194560 1035 0 0 0 "
                + "71 29 5 7 20 0 1 0 12345 229138432 3021 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0");

        assertThat(stat.pid()).isEqualTo(4242);
        assertThat(stat.comm()).isEqualTo("postgres: bench (idle)");
        assertThat(stat.ppid()).isEqualTo(4100);
        assertThat(stat.ownTicks()).isEqualTo(100);
        assertThat(stat.ticksIncludingReapedChildren()).isEqualTo(112);
    }

    @Test
    void treeCountsLiveDescendantsAndExitedOnesThroughTheirReaper() throws IOException {
        // postmaster 100 with backends 101 (lives on) and 102 (exits); issuer 200; unrelated 300
        process(100, 1, "postgres", 50, 10, 0, 0);
        process(101, 100, "postgres", 20, 5, 0, 0);
        process(102, 100, "postgres", 30, 0, 0, 0);
        process(103, 101, "postgres", 1, 1, 0, 0);
        process(200, 1, "java", 400, 100, 0, 0);
        process(300, 1, "other", 999, 999, 0, 0);
        hostStat("cpu  1000 0 500 8000 100 20 30 10 0 0");
        ProcFs fs = new ProcFs(proc);
        ProcFs.TreeCpu before = fs.treeCpu(List.of(100, 200));

        // 102 used 10 more ticks and was reaped by the postmaster; 101 used 5 more; a new backend 104 used 3
        Files.delete(proc.resolve("102/stat"));
        Files.delete(proc.resolve("102"));
        process(100, 1, "postgres", 52, 10, 40, 0);
        process(101, 100, "postgres", 25, 5, 0, 0);
        process(104, 100, "postgres", 3, 0, 0, 0);
        process(200, 1, "java", 500, 120, 0, 0);
        ProcFs.TreeCpu after = fs.treeCpu(List.of(100, 200));

        assertThat(before.processes()).isEqualTo(5);
        assertThat(after.processes()).isEqualTo(5);
        assertThat(after.ticksByRoot().get(100) - before.ticksByRoot().get(100)).isEqualTo(2 + 10 + 5 + 3);
        assertThat(after.ticksByRoot().get(200) - before.ticksByRoot().get(200)).isEqualTo(120);
        assertThat(after.totalTicks() - before.totalTicks()).isEqualTo(140);
        assertThat(after.rootNames()).containsEntry(100, "postgres").containsEntry(200, "java");
        assertThat(fs.hostCpu()).isEqualTo(new HostCpu(9660, 8100, 10, 50));
        assertThat(fs.hostCpu().busy()).isEqualTo(1550);
    }

    @Test
    void overlappingRootsAreCountedOnceInTheTotal() throws IOException {
        process(100, 1, "postgres", 10, 0, 0, 0);
        process(101, 100, "postgres", 5, 0, 0, 0);

        ProcFs.TreeCpu cpu = new ProcFs(proc).treeCpu(List.of(100, 101, 999));

        assertThat(cpu.totalTicks()).isEqualTo(15);
        assertThat(cpu.ticksByRoot()).containsEntry(100, 15L).containsEntry(101, 5L).containsEntry(999, 0L);
        assertThat(cpu.rootNames()).containsEntry(999, "(gone)");
    }

    private void process(int pid, int ppid, String comm, long utime, long stime, long cutime, long cstime)
            throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Integer.toString(pid)));
        Files.writeString(dir.resolve("stat"), pid + " (" + comm + ") S " + ppid + " 1 1 0 -1 0 0 0 0 0 "
                + utime + " " + stime + " " + cutime + " " + cstime + " 20 0 1 0 100 1000 10");
    }

    private void hostStat(String cpuLine) throws IOException {
        Files.writeString(proc.resolve("stat"), cpuLine + "\ncpu0 1 2 3 4 5 6 7 8 0 0\n");
    }
}
