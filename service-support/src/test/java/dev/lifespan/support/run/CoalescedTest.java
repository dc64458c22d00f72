package dev.lifespan.support.run;

import io.smallrye.mutiny.Uni;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CoalescedTest {
    /** Each run waits for its own answer, so a test decides when it ends. */
    private final List<CompletableFuture<Void>> runs = new ArrayList<>();
    private final Coalesced job = new Coalesced(() -> {
        CompletableFuture<Void> run = new CompletableFuture<>();
        runs.add(run);
        return Uni.createFrom().completionStage(run);
    });

    @Test
    void requestsDuringARunAreServedByOneMoreRunAfterIt() {
        CompletableFuture<Void> first = job.request().subscribeAsCompletionStage();
        assertThat(runs).hasSize(1);
        for (int i = 0; i < 10; i++) {
            assertThat(job.request().await().atMost(Duration.ofSeconds(1))).as("answered at once while the job runs").isNull();
        }
        assertThat(runs).as("nothing starts while a run is in progress").hasSize(1);

        runs.get(0).complete(null);
        assertThat(runs).as("one more run for the ten requests").hasSize(2);
        assertThat(first).isNotDone();
        runs.get(1).complete(null);
        assertThat(first).isCompleted();
        assertThat(runs).hasSize(2);
    }

    @Test
    void aRequestAfterTheRunsRunsTheJobAgain() {
        CompletableFuture<Void> first = job.request().subscribeAsCompletionStage();
        runs.get(0).complete(null);
        assertThat(first).isCompleted();

        job.request().subscribeAsCompletionStage();
        assertThat(runs).hasSize(2);
    }

    @Test
    void aFailedRunFailsItsRequestAndTheNextRequestRunsAgain() {
        CompletableFuture<Void> first = job.request().subscribeAsCompletionStage();
        job.request().await().atMost(Duration.ofSeconds(1));
        runs.get(0).completeExceptionally(new IllegalStateException("database down"));
        assertThat(first).isCompletedExceptionally();
        assertThatThrownBy(first::join).hasRootCauseMessage("database down");
        assertThat(runs).as("the request made meanwhile is left to what brings the job back").hasSize(1);

        job.request().subscribeAsCompletionStage();
        assertThat(runs).hasSize(2);
    }

    @Test
    void aJobThatThrowsInsteadOfFailingCountsAsAFailedRun() {
        AtomicInteger calls = new AtomicInteger();
        Coalesced throwing = new Coalesced(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("no connection");
            }
            return Uni.createFrom().voidItem();
        });
        assertThatThrownBy(() -> throwing.request().await().atMost(Duration.ofSeconds(1))).hasMessage("no connection");
        assertThat(throwing.request().await().atMost(Duration.ofSeconds(1))).isNull();
        assertThat(calls).hasValue(2);
    }
}
