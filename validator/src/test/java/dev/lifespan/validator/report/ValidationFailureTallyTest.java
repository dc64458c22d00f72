package dev.lifespan.validator.report;

import dev.lifespan.validator.VerifiedClaims;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static dev.lifespan.api.v1.ValidationFailure.BAD_SIGNATURE;
import static dev.lifespan.api.v1.ValidationFailure.EXPIRED;
import static dev.lifespan.api.v1.ValidationFailure.REVOKED_SESSION;
import static org.assertj.core.api.Assertions.assertThat;

class ValidationFailureTallyTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:05Z");
    private final AtomicReference<Instant> now = new AtomicReference<>(T0);
    private final InstantSource clock = () -> now.get();

    private static VerifiedClaims signed(String subject, String client) {
        return new VerifiedClaims("https://issuer.test", subject, List.of("api"), T0, T0, T0, "jti", "sid", client, List.of(), null, null,
                List.of(), List.of(), "k1");
    }

    private static List<ValidationFailureTally.Count> drain(ValidationFailureTally tally) {
        List<ValidationFailureTally.Count> out = new ArrayList<>();
        tally.drainTo(out::addAll);
        return out;
    }

    @Test
    void countsPerMinuteReasonAudienceClientAndSubject() {
        ValidationFailureTally tally = new ValidationFailureTally(clock);
        for (int i = 0; i < 3; i++) {
            tally.failed(EXPIRED, "api", signed("alice", "web"));
        }
        tally.failed(EXPIRED, "api", signed("bob", "web"));
        tally.failed(BAD_SIGNATURE, "api", null);
        now.set(T0.plusSeconds(50));
        tally.failed(BAD_SIGNATURE, "api", null);
        now.set(T0.plusSeconds(60));
        tally.failed(BAD_SIGNATURE, "api", null);

        List<ValidationFailureTally.Count> counts = drain(tally);

        assertThat(counts).extracting(c -> c.minute() + " " + c.reason() + " " + c.audience() + " " + c.clientId() + " " + c.subject()
                + " " + c.failures()).containsExactlyInAnyOrder(
                "2026-12-02T10:00:00Z EXPIRED api web alice 3",
                "2026-12-02T10:00:00Z EXPIRED api web bob 1",
                "2026-12-02T10:00:00Z BAD_SIGNATURE api null null 2",
                "2026-12-02T10:01:00Z BAD_SIGNATURE api null null 1");
        assertThat(counts.get(counts.size() - 1).minute()).as("oldest minute first").isEqualTo(Instant.parse("2026-12-02T10:01:00Z"));
        assertThat(counts).filteredOn(c -> c.reason() == BAD_SIGNATURE && c.failures() == 2).singleElement()
                .extracting(ValidationFailureTally.Count::lastAt).isEqualTo(T0.plusSeconds(50));
        assertThat(drain(tally)).as("a drain forgets what it handed over").isEmpty();
        assertThat(tally.total()).isEqualTo(7);
    }

    @Test
    void aFloodOfDistinctSubjectsIsFoldedIntoItsReasonAndAudience() {
        ValidationFailureTally tally = new ValidationFailureTally(clock, 10);
        for (int i = 0; i < 10_000; i++) {
            tally.failed(REVOKED_SESSION, "api", signed("user-" + i, "client-" + (i % 7)));
        }
        assertThat(tally.groups()).isEqualTo(11);

        List<ValidationFailureTally.Count> counts = drain(tally);

        assertThat(counts).hasSize(11);
        assertThat(counts.stream().mapToLong(ValidationFailureTally.Count::failures).sum()).isEqualTo(10_000);
        assertThat(counts).filteredOn(ValidationFailureTally.Count::folded).singleElement().satisfies(c -> {
            assertThat(c.failures()).isEqualTo(9_990);
            assertThat(c.subject()).isNull();
            assertThat(c.clientId()).isNull();
            assertThat(c.audience()).isEqualTo("api");
        });
    }

    @Test
    void failuresCountedWhileDrainingAreNeitherLostNorCountedTwice() throws Exception {
        ValidationFailureTally tally = new ValidationFailureTally(clock, 50);
        List<ValidationFailureTally.Count> drained = new ArrayList<>();
        int threads = 4;
        int perThread = 50_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch done = new CountDownLatch(threads);
        AtomicBoolean stop = new AtomicBoolean();
        for (int t = 0; t < threads; t++) {
            int id = t;
            pool.execute(() -> {
                for (int i = 0; i < perThread; i++) {
                    tally.failed(EXPIRED, "api", signed("s" + (i % 20), "c" + id));
                }
                done.countDown();
            });
        }
        Thread drainer = new Thread(() -> {
            while (!stop.get()) {
                tally.drainTo(drained::addAll);
            }
        });
        drainer.start();
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        stop.set(true);
        drainer.join();
        tally.drainTo(drained::addAll);
        pool.shutdown();

        assertThat(drained.stream().mapToLong(ValidationFailureTally.Count::failures).sum()).isEqualTo((long) threads * perThread);
    }
}
