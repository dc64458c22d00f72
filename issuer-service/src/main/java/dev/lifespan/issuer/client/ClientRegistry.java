package dev.lifespan.issuer.client;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.ClientSecrets;
import dev.lifespan.support.audit.AuditOutboxRelay;
import dev.lifespan.support.audit.ClientAuthFailures;
import dev.lifespan.support.error.ServiceException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The clients declared under {@code lifespan.clients}, and their authentication. */
@Singleton
public class ClientRegistry {
    private final Map<String, RegisteredClient> clients;
    private final ClientAuthFailures failures;

    @Inject
    public ClientRegistry(LifespanConfig config, AuditOutboxRelay audit) {
        this(config, audit.clientAuthFailures());
    }

    public ClientRegistry(LifespanConfig config, ClientAuthFailures failures) {
        this.failures = failures;
        this.clients = config.clients().entrySet().stream().collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> {
            LifespanConfig.Client c = e.getValue();
            return new RegisteredClient(e.getKey(),
                    c.secretHash().filter(ClientSecrets::isWellFormedHash).map(ClientSecrets::parseHash).orElse(null),
                    setOf(c.grants()), c.profile(), setOf(c.scopes()), List.copyOf(c.audiences()), c.serviceTokenTtl());
        }));
    }

    private static Set<String> setOf(List<String> values) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(values));
    }

    public Optional<RegisteredClient> find(String clientId) {
        return Optional.ofNullable(clients.get(clientId));
    }

    /** The declared client, or INVALID_REQUEST naming the field. */
    public RegisteredClient require(String clientId, String field) {
        return find(clientId).orElseThrow(() -> ServiceException.invalidField(field, "names a client this issuer does not know"));
    }

    /**
     * Authenticates a client: confidential clients must present their secret, public clients
     * must not be asked to. Unknown clients and wrong secrets get the same answer, and every failure is counted for
     * the audit trail, per minute, client and {@code callerAddress}: the address of the connection that presented the
     * credentials (the HTTP request's, {@link dev.lifespan.issuer.grpc.PeerAddresses} over gRPC), never an address the
     * request states, so failures cannot be spread over made-up addresses.
     */
    public RegisteredClient authenticate(String clientId, String secret, String callerAddress) {
        RegisteredClient client = clients.get(clientId);
        if (client == null) {
            failures.failed(null, callerAddress);
            throw ServiceException.invalidClient("client authentication failed");
        }
        if (client.confidential()) {
            if (!ClientSecrets.matches(secret, client.secretHash())) {
                failures.failed(client.id(), callerAddress);
                throw ServiceException.invalidClient("client authentication failed");
            }
        } else if (secret != null && !secret.isEmpty()) {
            failures.failed(client.id(), callerAddress);
            throw ServiceException.invalidClient("client authentication failed: public client presented a secret");
        }
        return client;
    }
}
