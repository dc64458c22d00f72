package dev.lifespan.revocation.support;

import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.support.grpc.ClientTlsFiles;

import java.time.Duration;
import java.util.Optional;

/** The defaults of {@link RevocationConfig}, with caller authentication and validation switched as given; for tests without Quarkus. */
public record FixedConfig(boolean callerAuthEnabled, boolean validationConfigured) implements RevocationConfig {
    @Override
    public Duration maxTokenLifetime() {
        return Duration.ofHours(1);
    }

    @Override
    public Duration maxClockSkew() {
        return Duration.ofMinutes(5);
    }

    @Override
    public String channel() {
        return "lifespan:revocations";
    }

    @Override
    public Duration heartbeatInterval() {
        return Duration.ofSeconds(1);
    }

    @Override
    public Duration cleanupInterval() {
        return Duration.ofMinutes(1);
    }

    @Override
    public Duration redisDeadline() {
        return Duration.ofSeconds(1);
    }

    @Override
    public int cleanupBatchSize() {
        return 500;
    }

    @Override
    public CallerAuth callerAuth() {
        return new CallerAuth() {
            @Override
            public boolean enabled() {
                return callerAuthEnabled;
            }

            @Override
            public String audience() {
                return "lifespan";
            }

            @Override
            public Duration feedOutageTolerance() {
                return Duration.ofMinutes(5);
            }
        };
    }

    @Override
    public Validation validation() {
        return new Validation() {
            @Override
            public Optional<String> issuer() {
                return validationConfigured ? Optional.of("https://issuer.test") : Optional.empty();
            }

            @Override
            public Optional<String> jwksUrl() {
                return validationConfigured ? Optional.of("http://127.0.0.1:1/.well-known/jwks.json") : Optional.empty();
            }

            @Override
            public Duration jwksRefresh() {
                return Duration.ofMinutes(5);
            }

            @Override
            public Duration maxStaleness() {
                return Duration.ofSeconds(5);
            }

            @Override
            public ClientTlsFiles tls() {
                return new ClientTlsFiles() {
                    @Override
                    public Optional<String> trustCertificates() {
                        return Optional.empty();
                    }

                    @Override
                    public Optional<String> certificate() {
                        return Optional.empty();
                    }

                    @Override
                    public Optional<String> privateKey() {
                        return Optional.empty();
                    }
                };
            }
        };
    }
}
