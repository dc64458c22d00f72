package dev.lifespan.devstack;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Background work as its schedule runs it, seen from a test: run again after each failure, and every run must end
 * (succeed or fail) within a bound. A run that waits on a connection that will never answer does not end, and its
 * schedule never runs it again; that is what this catches.
 */
public final class BoundedRuns {
    private BoundedRuns() {
    }

    /**
     * Runs {@code work} until a run succeeds, at most {@code maxRuns} times.
     *
     * @param failure what a run that fails must fail with (the dependency being late)
     * @throws AssertionError if a run did not end within {@code oneRun}, failed otherwise, or none of {@code maxRuns}
     *                        succeeded
     */
    public static void untilOneSucceeds(String what, Duration oneRun, int maxRuns, Class<? extends Throwable> failure,
            Supplier<? extends CompletionStage<?>> work) throws InterruptedException {
        List<Throwable> failures = new ArrayList<>();
        for (int run = 1; run <= maxRuns; run++) {
            try {
                work.get().toCompletableFuture().get(oneRun.toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                throw new AssertionError(what + ": run " + run + " did not end within " + oneRun + " (waiting on a dead connection?)");
            } catch (ExecutionException e) {
                if (!failure.isInstance(e.getCause())) {
                    throw new AssertionError(what + ": run " + run + " failed otherwise than " + failure.getSimpleName(), e.getCause());
                }
                failures.add(e.getCause());
            }
        }
        throw new AssertionError(what + ": none of " + maxRuns + " runs succeeded; failures: " + failures);
    }
}
