package dev.lifespan.deploy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An overlay applied without a cluster ({@link OverlayPods}), then what its first user does ({@link OverlaySmoke}). Each
 * overlay's test says how its datastores, Secrets and callers are made, in {@link #apply}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OverlayRunsTest {
    /** A fresh directory for the overlay's copy, its pods' files and certificates. */
    Path scratch;
    OverlayPods pods;
    EmbeddedPostgres postgres;
    RedisServer redis;
    OverlaySmoke smoke;

    /** Renders the overlay, makes what it needs around it, starts its pods, awaits them ready, sets {@link #smoke}. */
    abstract void apply() throws Exception;

    @BeforeAll
    void applyTheOverlay(@TempDir Path scratch) throws Exception {
        this.scratch = scratch;
        apply();
    }

    @AfterAll
    void deleteTheDeployment() throws IOException {
        try {
            if (pods != null) {
                pods.close();
            }
            if (redis != null) {
                redis.stop();
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
        }
    }

    @Test
    void aServiceTokenIsIssuedAndRevokedAndBothEventsReachTheAuditStore() throws Exception {
        smoke.aServiceTokenIsIssuedAndRevokedAndBothEventsReachTheAuditStore();
    }

    @Test
    void eachServiceMigratedItsOwnDatabase() throws Exception {
        smoke.eachServiceMigratedItsOwnDatabase();
    }
}
