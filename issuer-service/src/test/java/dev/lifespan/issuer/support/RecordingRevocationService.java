package dev.lifespan.issuer.support;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RevokeBatchResponse;
import dev.lifespan.devstack.TestCertificates;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * A stand-in for the revocation service's {@code RevokeBatch} on a real gRPC port: records what the
 * issuer delivers and the credentials it sends them with (bearer token and client certificate: it
 * serves mutual TLS only), so tests see exactly which rules leave the issuer and how. (The revocation service's own
 * behaviour is tested in its module.)
 */
public final class RecordingRevocationService implements AutoCloseable {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final List<RevocationRule> received = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final List<String> clientCertificates = new CopyOnWriteArrayList<>();
    private final Server server;
    private final Path certificate;

    /**
     * Serves mutual TLS only: {@code own} is this service's certificate and key, and a caller must
     * present {@code trustedClient}.
     */
    public RecordingRevocationService(TestCertificates.Pem own, Path trustedClient) {
        this.certificate = own.certificate();
        ServerCredentials credentials;
        try {
            credentials = TlsServerCredentials.newBuilder().keyManager(own.certificate().toFile(), own.privateKey().toFile())
                    .trustManager(trustedClient.toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            server = Grpc.newServerBuilderForPort(0, credentials).addService(ServerInterceptors.intercept(new RevocationGrpc.RevocationImplBase() {
                @Override
                public void revokeBatch(RevokeBatchRequest request, StreamObserver<RevokeBatchResponse> out) {
                    received.addAll(request.getRulesList());
                    out.onNext(RevokeBatchResponse.newBuilder().addAllRules(request.getRulesList()).build());
                    out.onCompleted();
                }
            }, new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                    authorizations.add(String.valueOf(headers.get(AUTHORIZATION)));
                    clientCertificates.add(peerSubject(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)));
                    return next.startCall(call, headers);
                }
            })).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String target() {
        return "127.0.0.1:" + server.getPort();
    }

    /** Rules received so far, in delivery order. */
    public List<RevocationRule> received() {
        return List.copyOf(received);
    }

    /** This service's own certificate (PEM), for clients to trust. */
    public Path certificate() {
        return certificate;
    }

    /** The subject of the client certificate of every call received, in order. */
    public List<String> clientCertificates() {
        return List.copyOf(clientCertificates);
    }

    private static String peerSubject(SSLSession session) {
        try {
            return session == null ? "none" : ((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName();
        } catch (SSLPeerUnverifiedException e) {
            return "unverified";
        }
    }

    /** The {@code authorization} header of every call received, in order ({@code "null"} when absent). */
    public List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
