package dev.lifespan.revocation.log;

import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.support.time.Clocks;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.InstantSource;

/**
 * Deletes rules once nothing they cover can still be valid, in small batches so the log never
 * holds long locks; memory and storage stay bounded by live tokens, not by history. The sequence
 * is kept apart and never moves back.
 */
@Singleton
public class ExpiredRuleCleanup {
    private static final Logger LOG = Logger.getLogger(ExpiredRuleCleanup.class);
    /** At most this many batches per run, so one run never monopolises the pool. */
    private static final int MAX_BATCHES_PER_RUN = 100;

    private final RevocationLog log;
    private final RevocationConfig config;
    private final InstantSource clock;

    public ExpiredRuleCleanup(RevocationLog log, RevocationConfig config, InstantSource clock) {
        this.log = log;
        this.config = config;
        this.clock = clock;
    }

    @Scheduled(every = "${lifespan.revocation.cleanup-interval:1m}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "10s")
    Uni<Void> scheduled() {
        return dropExpired().replaceWithVoid().onFailure().recoverWithItem(failure -> {
            LOG.warnf("Expired revocation rules not dropped this time: %s", failure.getMessage());
            return null;
        });
    }

    /** Drops every rule expired by now, batch by batch; returns how many went. */
    public Uni<Integer> dropExpired() {
        return dropFrom(Clocks.now(clock), 0, 0);
    }

    private Uni<Integer> dropFrom(Instant now, int dropped, int batches) {
        return log.dropExpired(now, config.cleanupBatchSize()).chain(count -> {
            int total = dropped + count;
            if (count < config.cleanupBatchSize() || batches + 1 >= MAX_BATCHES_PER_RUN) {
                if (total > 0) {
                    LOG.debugf("Dropped %d expired revocation rule(s)", total);
                }
                return Uni.createFrom().item(total);
            }
            return dropFrom(now, total, batches + 1);
        });
    }
}
