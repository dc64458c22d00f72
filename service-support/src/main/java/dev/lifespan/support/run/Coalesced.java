package dev.lifespan.support.run;

import io.smallrye.mutiny.Uni;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A job that runs one at a time however often it is asked for: a request made while it runs is served by one more run
 * after the current one, so no request goes unserved by a run that started after it, and a burst of requests costs at
 * most two runs. (The revocation service's catch-up publishing; the issuer's key reload when a KEY rule arrives.)
 *
 * <p>A failed run fails the request that started it and forgets those that arrived meanwhile: whatever brings the
 * job back (a heartbeat, a schedule) serves them.
 */
public final class Coalesced {
    private final Supplier<Uni<Void>> job;
    /** Requests not yet served; the run in progress, if any, serves those counted when it started. */
    private final AtomicInteger requests = new AtomicInteger();

    public Coalesced(Supplier<Uni<Void>> job) {
        this.job = Objects.requireNonNull(job, "job");
    }

    /**
     * Runs the job now if it is not running, completing when it and any runs asked for meanwhile are done; if it is
     * running, completes at once and the job runs once more after the current run.
     */
    public Uni<Void> request() {
        return Uni.createFrom().deferred(() -> requests.getAndIncrement() > 0 ? Uni.createFrom().voidItem() : drain());
    }

    private Uni<Void> drain() {
        int served = requests.get();
        return Uni.createFrom().<Void>deferred(job::get)
                .onFailure().invoke(() -> requests.set(0))
                .chain(() -> requests.addAndGet(-served) > 0 ? drain() : Uni.createFrom().voidItem());
    }
}
