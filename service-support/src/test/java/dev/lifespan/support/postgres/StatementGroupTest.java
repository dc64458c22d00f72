package dev.lifespan.support.postgres;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Group commit's bookkeeping, with a statement that answers when the test says so. */
class StatementGroupTest {

    /** The groups sent so far, each with the completion the test gives it. */
    private final List<List<StatementGroup.Member<Integer, String>>> sent = new ArrayList<>();
    private final List<CompletableFuture<Void>> finishes = new ArrayList<>();
    /** What the statement fails with when PostgreSQL refuses it whole. */
    private static final RuntimeException REFUSED = new RuntimeException("refused whole");
    /** What the statement fails with when the database did not answer it. */
    private static final RuntimeException UNANSWERED = new RuntimeException("unanswered");

    /** The groups' clock, in nanoseconds: moved by the test. */
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    private StatementGroup<Integer, String> group(int maxInFlight, int maxSize) {
        return new StatementGroup<Integer, String>(maxInFlight, maxSize, Comparator.<Integer>naturalOrder(), REFUSED::equals, UNANSWERED::equals,
                members -> {
            CompletableFuture<Void> finish = new CompletableFuture<>();
            synchronized (this) {
                sent.add(members);
                finishes.add(finish);
            }
            return Uni.createFrom().completionStage(finish);
        }, nanos::get);
    }

    /** Answers every member of group {@code index} with "v" + its input, then lets the group finish. */
    private void answer(int index) {
        sent.get(index).forEach(member -> member.answer("v" + member.input()));
        finishes.get(index).complete(null);
    }

    private static List<Integer> inputs(List<StatementGroup.Member<Integer, String>> group) {
        return group.stream().map(StatementGroup.Member::input).toList();
    }

    @Test
    void aCallWithRoomIsSentAtOnceAlone() throws Exception {
        StatementGroup<Integer, String> group = group(2, 10);
        CompletableFuture<String> first = group.submit(7).subscribeAsCompletionStage();

        assertThat(sent).hasSize(1);
        assertThat(inputs(sent.get(0))).containsExactly(7);
        answer(0);
        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("v7");
        assertThat(group.inFlight()).isZero();
    }

    @Test
    void callsThatArriveWhileEveryGroupRunsGoTogetherSortedWithoutDuplicates() throws Exception {
        StatementGroup<Integer, String> group = group(1, 3);
        CompletableFuture<String> first = group.submit(50).subscribeAsCompletionStage();
        List<CompletableFuture<String>> waiting = new ArrayList<>();
        for (int input : new int[] {9, 4, 9, 1, 6}) {
            waiting.add(group.submit(input).subscribeAsCompletionStage());
        }
        assertThat(sent).as("one group at a time").hasSize(1);

        answer(0);
        assertThat(sent).hasSize(2);
        assertThat(inputs(sent.get(1))).as("the oldest waiting, sorted, the second 9 left for later, at most 3")
                .containsExactly(1, 4, 9);
        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("v50");

        answer(1);
        assertThat(inputs(sent.get(2))).containsExactly(6, 9);
        answer(2);
        assertThat(waiting).allSatisfy(call -> assertThat(call.get(5, TimeUnit.SECONDS)).startsWith("v"));
        assertThat(waiting.get(2).get()).isEqualTo("v9");
        assertThat(group.inFlight()).isZero();
    }

    @Test
    void aCallCancelledWhileWaitingIsNeverSent() {
        StatementGroup<Integer, String> group = group(1, 10);
        group.submit(1).subscribeAsCompletionStage();
        Cancellable cancelled = group.submit(2).subscribe().with(item -> { }, failure -> { });
        group.submit(3).subscribeAsCompletionStage();
        cancelled.cancel();

        answer(0);
        assertThat(inputs(sent.get(1))).containsExactly(3);
    }

    @Test
    void aCallItsTakeRefusesIsDroppedNotSent() throws Exception {
        StatementGroup<Integer, String> group = group(1, 10);
        group.submit(1).subscribeAsCompletionStage();
        group.submit(2, () -> false).subscribeAsCompletionStage();
        CompletableFuture<String> third = group.submit(3, () -> true).subscribeAsCompletionStage();

        answer(0);
        assertThat(inputs(sent.get(1))).containsExactly(3);
        answer(1);
        assertThat(third.get(5, TimeUnit.SECONDS)).isEqualTo("v3");
    }

    @Test
    void aGroupRefusedWholeIsSentAgainOneCallAtATime() throws Exception {
        StatementGroup<Integer, String> group = group(1, 10);
        group.submit(1).subscribeAsCompletionStage();
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int input : new int[] {12, 13, 14}) {
            calls.add(group.submit(input).subscribeAsCompletionStage());
        }
        answer(0);
        finishes.get(1).completeExceptionally(REFUSED); // 12, 13 and 14 together
        assertThat(inputs(sent.get(2))).containsExactly(12);
        answer(2);
        assertThat(inputs(sent.get(3))).containsExactly(13);
        finishes.get(3).completeExceptionally(new IllegalStateException("13's own trouble"));
        assertThat(inputs(sent.get(4))).containsExactly(14);
        answer(4);

        assertThat(calls.get(0).get(5, TimeUnit.SECONDS)).isEqualTo("v12");
        assertThatThrownBy(() -> calls.get(1).get(5, TimeUnit.SECONDS)).hasRootCauseMessage("13's own trouble");
        assertThat(calls.get(2).get(5, TimeUnit.SECONDS)).isEqualTo("v14");
        assertThat(group.inFlight()).isZero();
    }

    @Test
    void aGroupGivenUpUnansweredFailsTheCallsWaitingForTheNext() {
        StatementGroup<Integer, String> group = group(1, 10);
        CompletableFuture<String> sentOne = group.submit(1).subscribeAsCompletionStage();
        CompletableFuture<String> waitingOne = group.submit(2).subscribeAsCompletionStage();

        finishes.get(0).completeExceptionally(UNANSWERED);
        assertThatThrownBy(() -> sentOne.get(5, TimeUnit.SECONDS)).hasRootCause(UNANSWERED);
        assertThatThrownBy(() -> waitingOne.get(5, TimeUnit.SECONDS)).as("told now, not sent").hasRootCause(UNANSWERED);
        assertThat(sent).hasSize(1);
        assertThat(group.inFlight()).isZero();

        group.submit(3).subscribeAsCompletionStage();
        assertThat(inputs(sent.get(1))).as("a later call is sent as usual").containsExactly(3);
    }

    @Test
    void callsResentAloneAreToldOnceOneOfThemGoesUnanswered() {
        StatementGroup<Integer, String> group = group(1, 10);
        group.submit(1).subscribeAsCompletionStage();
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int input : new int[] {21, 22, 23}) {
            calls.add(group.submit(input).subscribeAsCompletionStage());
        }
        answer(0);
        finishes.get(1).completeExceptionally(REFUSED);
        finishes.get(2).completeExceptionally(UNANSWERED); // 21 alone

        assertThat(sent).as("22 and 23 not sent").hasSize(3);
        assertThat(calls).allSatisfy(call -> assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS)).hasRootCause(UNANSWERED));
        assertThat(group.inFlight()).isZero();
    }

    @Test
    void membersLeftUnansweredFailAndAFailedStatementFailsEveryMember() {
        StatementGroup<Integer, String> group = group(1, 10);
        CompletableFuture<String> first = group.submit(1).subscribeAsCompletionStage();
        CompletableFuture<String> second = group.submit(2).subscribeAsCompletionStage();
        CompletableFuture<String> third = group.submit(3).subscribeAsCompletionStage();

        finishes.get(0).complete(null); // the statement finished without answering its member
        assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS)).hasRootCauseMessage("no answer for a member of a statement group");

        RuntimeException refused = new RuntimeException("refused");
        finishes.get(1).completeExceptionally(refused);
        assertThatThrownBy(() -> second.get(5, TimeUnit.SECONDS)).hasRootCause(refused);
        assertThatThrownBy(() -> third.get(5, TimeUnit.SECONDS)).hasRootCause(refused);
        assertThat(group.inFlight()).isZero();
    }

    @Test
    void theMetersCountGroupsTheirCallsAndTheTimeTheyWereOut() {
        MeterRegistry registry = new SimpleMeterRegistry();
        StatementGroup<Integer, String> group = group(2, 10).meter(registry, "test_kind");
        group.submit(1).subscribeAsCompletionStage(); // alone, out from t0
        nanos.addAndGet(100_000);
        group.submit(2).subscribeAsCompletionStage(); // alone in the second slot, out from t0 + 100 us
        group.submit(3).subscribeAsCompletionStage(); // these two wait, and go together
        group.submit(4).subscribeAsCompletionStage();
        nanos.addAndGet(300_000);
        answer(0); // out 400 us; 3 and 4 leave now
        nanos.addAndGet(200_000);
        answer(1); // out 500 us
        answer(2); // out 200 us, from when group 0 ended

        assertThat(inputs(sent.get(2))).containsExactly(3, 4);
        assertThat(registry.get("lifespan_statement_groups").tag("kind", "test_kind").functionCounter().count()).isEqualTo(3);
        assertThat(registry.get("lifespan_statement_group_calls").tag("kind", "test_kind").functionCounter().count()).isEqualTo(4);
        assertThat(registry.get("lifespan_statement_group_busy").tag("kind", "test_kind").functionCounter().count())
                .isCloseTo(0.0011, within(1e-12));
        // A statement that failed is a group carried out too: its time out counts.
        group.submit(5).subscribeAsCompletionStage();
        nanos.addAndGet(50_000);
        finishes.get(3).completeExceptionally(new RuntimeException("failed"));
        assertThat(registry.get("lifespan_statement_groups").tag("kind", "test_kind").functionCounter().count()).isEqualTo(4);
        assertThat(registry.get("lifespan_statement_group_busy").tag("kind", "test_kind").functionCounter().count())
                .isCloseTo(0.00115, within(1e-12));
    }
}
