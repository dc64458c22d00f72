package dev.lifespan.support.audit;

import dev.lifespan.validator.report.MinuteCounts;

import java.time.InstantSource;
import java.util.List;

/**
 * Failed client authentications (a wrong secret, an unknown client id, a public client presenting a secret) counted per
 * minute, client and source address, so that guessing a client's secret shows in the audit trail and trips the anomaly
 * rules on {@code VALIDATION_FAILED} per client and per address ({@link ValidationFailureOutbox} writes the counts).
 *
 * <p>Bounded like the token failures: the client is named only when it is registered (so nobody can invent clients), and
 * once {@code maxGroups} groups are held a new one is counted without its address (which a gRPC caller states itself).
 */
public final class ClientAuthFailures {
    private final MinuteCounts<Group> counts;

    /** What is counted together: the registered client (null for an unknown id) and the address (null once folded). */
    public record Group(String clientId, String sourceIp) {
        Group folded() {
            return new Group(clientId, null);
        }
    }

    public ClientAuthFailures(InstantSource clock, int maxGroups) {
        this.counts = new MinuteCounts<>(clock, maxGroups);
    }

    /**
     * @param registeredClientId the client id presented, if it names a registered client; null otherwise
     * @param sourceIp           the caller's address as the request states it, or null
     */
    public void failed(String registeredClientId, String sourceIp) {
        counts.add(new Group(registeredClientId, sourceIp), Group::folded);
    }

    List<MinuteCounts.Count<Group>> drain() {
        return counts.drain();
    }

    /** Failures counted since this was made, drained or not. */
    public long total() {
        return counts.total();
    }
}
