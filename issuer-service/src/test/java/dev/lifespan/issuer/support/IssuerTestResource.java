package dev.lifespan.issuer.support;

import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.devstack.TestCertificates;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Real PostgreSQL and Redis for the issuer's tests, a fresh master key per run, a cuttable proxy
 * between the service and PostgreSQL for outage tests ({@link InjectPostgresProxy}), and a stand-in
 * revocation service, reached over mutual TLS, that records the rules the issuer delivers
 * ({@link InjectRevocationService}). With the init argument {@link #REDIS_PROXY} set to {@code true}, Redis too is
 * reached through a proxy ({@link InjectRedisProxy}), for tests of a Redis that stops answering.
 */
public class IssuerTestResource implements QuarkusTestResourceLifecycleManager {
    /** Init argument: {@code true} puts a proxy between the issuer and Redis. */
    public static final String REDIS_PROXY = "redis-proxy";

    private EmbeddedServers servers;
    private TcpProxy postgresProxy;
    private TcpProxy redisProxy;
    private boolean proxyRedis;
    private RecordingRevocationService revocationService;

    @Override
    public void init(Map<String, String> initArgs) {
        proxyRedis = Boolean.parseBoolean(initArgs.getOrDefault(REDIS_PROXY, "false"));
    }

    @Override
    public Map<String, String> start() {
        servers = EmbeddedServers.start();
        postgresProxy = servers.proxyToPostgres();
        Map<String, String> config = new HashMap<>(servers.quarkusConfig());
        config.put("quarkus.datasource.reactive.url", servers.reactiveUrlThrough(postgresProxy));
        if (proxyRedis) {
            redisProxy = servers.proxyToRedis();
            config.put("quarkus.redis.hosts", servers.redisUrlThrough(redisProxy));
        }
        byte[] master = new byte[32];
        new SecureRandom().nextBytes(master);
        config.put("lifespan.master-key", Base64.getEncoder().encodeToString(master));
        // The issuer reaches the revocation service over mutual TLS, with PEM files as a Kubernetes TLS Secret mounts them.
        try {
            Path dir = Files.createTempDirectory("lifespan-issuer-tls");
            TestCertificates.Pem service = TestCertificates.selfSigned(dir, "revocation-service", "IP:127.0.0.1,DNS:localhost");
            TestCertificates.Pem issuer = TestCertificates.selfSigned(dir, "issuer-service", "DNS:issuer-service");
            revocationService = new RecordingRevocationService(service, issuer.certificate());
            config.put("lifespan.revocation.tls.trust-certificates", service.certificate().toString());
            config.put("lifespan.revocation.tls.certificate", issuer.certificate().toString());
            config.put("lifespan.revocation.tls.private-key", issuer.privateKey().toString());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("test certificates", e);
        }
        config.put("lifespan.revocation.target", revocationService.target());
        return config;
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(servers, new TestInjector.AnnotatedAndMatchesType(InjectServers.class, EmbeddedServers.class));
        testInjector.injectIntoFields(postgresProxy, new TestInjector.AnnotatedAndMatchesType(InjectPostgresProxy.class, TcpProxy.class));
        testInjector.injectIntoFields(redisProxy, new TestInjector.AnnotatedAndMatchesType(InjectRedisProxy.class, TcpProxy.class));
        testInjector.injectIntoFields(revocationService,
                new TestInjector.AnnotatedAndMatchesType(InjectRevocationService.class, RecordingRevocationService.class));
    }

    @Override
    public void stop() {
        if (revocationService != null) {
            revocationService.close();
        }
        if (postgresProxy != null) {
            postgresProxy.close();
        }
        if (redisProxy != null) {
            redisProxy.close();
        }
        if (servers != null) {
            servers.close();
        }
    }
}
