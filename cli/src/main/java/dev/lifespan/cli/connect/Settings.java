package dev.lifespan.cli.connect;

import dev.lifespan.support.grpc.ClientTls;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Where the services are and who the command is, resolved from flags, environment and the config file
 * ({@link ConnectionOptions}). {@code toString} leaves the secret out.
 *
 * @param issuerUrl       the issuer's HTTP base URL (its token endpoint is {@code /oauth2/token})
 * @param grpcTargets     {@code host:port} of each service's gRPC (and REST) port
 * @param managementUrls  base URL of each service's management port ({@code /q/health/ready}, {@code /q/metrics})
 * @param clientId        the operator client
 * @param clientSecret    its secret, when given
 * @param secretSource    where the secret came from, for messages ({@code LIFESPAN_CLIENT_SECRET}, a file, a flag)
 * @param tls             plaintext, TLS or mutual TLS to every service
 * @param timeout         deadline of each unary call and HTTP request
 */
public record Settings(String issuerUrl, Map<Target, String> grpcTargets, Map<Target, String> managementUrls, String clientId,
                       Optional<String> clientSecret, String secretSource, ClientTls tls, Duration timeout) {

    public String grpcTarget(Target target) {
        return grpcTargets.get(target);
    }

    public String managementUrl(Target target) {
        return managementUrls.get(target);
    }

    /** The HTTP base URL of a service's API port (gRPC and REST share it). */
    public String httpUrl(Target target) {
        return (tls.trustCertificates().isPresent() ? "https://" : "http://") + grpcTarget(target);
    }

    @Override
    public String toString() {
        return "Settings[issuerUrl=" + issuerUrl + ", grpcTargets=" + grpcTargets + ", managementUrls=" + managementUrls + ", clientId="
                + clientId + ", clientSecret=" + (clientSecret.isPresent() ? "(set, from " + secretSource + ")" : "(not set)") + ", tls="
                + tls.describe() + ", timeout=" + timeout + "]";
    }
}
