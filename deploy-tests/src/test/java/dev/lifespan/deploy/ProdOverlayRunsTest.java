package dev.lifespan.deploy;

import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.TestCertificates;
import io.fabric8.kubernetes.api.model.Secret;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import redis.embedded.RedisServer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The prod overlay as a cluster would run it, without a cluster ({@link OverlayPods} says how, and what differs): TLS
 * with client certificates required between every caller and every service, management over TLS, the datastores
 * outside. What the overlay only references is made as k8s/README.md tells an operator to make it:
 * <ul>
 *   <li>the Secrets of its "Secrets" table, with the names and keys {@code make-dev-secrets.sh} gives dev's;</li>
 *   <li>each cert-manager Certificate's Secret ({@code tls.crt}, {@code tls.key}, {@code ca.crt}) from one CA, as its
 *       CA Issuer would sign it, with the DNS names the Certificate asks for and, because the Service names become
 *       {@code 127.0.0.1} here, that address too;</li>
 *   <li>PostgreSQL with the {@code lifespan-db} user owning the three databases, not a superuser ("Databases"), and
 *       Redis with the password of the {@code lifespan-redis} Secret's URL, both behind the overlay's ExternalName
 *       Services.</li>
 * </ul>
 * Images are the JVM jars where prod runs native ones. Then {@link OverlaySmoke}, as a caller with a certificate
 * from the same CA.
 */
class ProdOverlayRunsTest extends OverlayRunsTest {
    @Override
    void apply() throws Exception {
        K8sTree tree = K8sTree.prepare(scratch);
        Kustomize kustomize = Kustomize.fromEnvironment();
        Manifests prod = Manifests.parse(kustomize.render(tree.dir("overlays/prod")));
        pods = new OverlayPods(prod, scratch, tree.source.getParent(), Path.of("target", "prod-overlay-logs"));

        // The operator's Secrets: dev's, made by make-dev-secrets, without the hash suffix kustomize gives generated names.
        Manifests dev = Manifests.parse(kustomize.render(tree.dir("overlays/dev")));
        dev.all(Secret.class).forEach(s -> pods.addSecret(s.getMetadata().getName().replaceFirst("-[a-z0-9]{10}$", ""),
                OverlayPods.data(s.getStringData(), s.getData())));

        TestCertificates.Authority ca = TestCertificates.authority(scratch.resolve("ca"), "lifespan-ca");
        for (CertManagerCertificate certificate : prod.all(CertManagerCertificate.class).toList()) {
            String names = Stream.concat(certificate.getSpec().dnsNames().stream().map(name -> "DNS:" + name), Stream.of("IP:127.0.0.1"))
                    .collect(Collectors.joining(","));
            TestCertificates.Pem pem = TestCertificates.signedBy(ca, scratch.resolve("certificates"), certificate.getSpec().secretName(), names);
            pods.addSecret(certificate.getSpec().secretName(), Map.of("tls.crt", Files.readAllBytes(pem.certificate()),
                    "tls.key", Files.readAllBytes(pem.privateKey()), "ca.crt", Files.readAllBytes(ca.certificate())));
        }

        startPostgres();
        startRedis();
        assertThat(pods.launchLifespanPods()).containsExactlyInAnyOrder("lifespan-issuer", "lifespan-revocation", "lifespan-audit");
        pods.awaitReady();

        TestCertificates.Pem caller = TestCertificates.signedBy(ca, scratch.resolve("certificates"), "lifespan-smoke-test", "DNS:lifespan-smoke-test");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(mutualTls(caller, ca.certificate())).build();
        smoke = new OverlaySmoke(pods, http, "https://127.0.0.1:" + pods.localPort("lifespan-issuer:8443"), postgres);
    }

    /** The {@code lifespan-db} user, owning every database a Lifespan pod's URLs name, as the operator makes them. */
    private void startPostgres() throws Exception {
        postgres = EmbeddedPostgres.builder().setServerConfig("fsync", "off").start();
        String user = pods.secretText("lifespan-db", "username");
        String password = pods.secretText("lifespan-db", "password");
        Set<String> databases = new LinkedHashSet<>();
        for (Manifests.Workload w : pods.m.workloads()) {
            Map<String, String> env = pods.environment(OverlayPods.container(w));
            Invariants.DATABASE_URLS.stream().map(env::get).filter(url -> url != null)
                    .forEach(url -> databases.add(Invariants.Database.of(url).orElseThrow().name()));
        }
        assertThat(databases).containsExactlyInAnyOrder("lifespan_issuer", "lifespan_revocation", "lifespan_audit");
        try (Connection admin = postgres.getPostgresDatabase().getConnection(); Statement sql = admin.createStatement()) {
            sql.execute("CREATE ROLE \"" + user + "\" LOGIN PASSWORD '" + password.replace("'", "''") + "'");
            for (String database : databases) {
                sql.execute("CREATE DATABASE \"" + database + "\" OWNER \"" + user + "\"");
            }
        }
        pods.route("lifespan-postgresql:5432", postgres.getPort());
    }

    /** Redis requiring the password of the {@code lifespan-redis} Secret's URL. */
    private void startRedis() throws IOException {
        String userInfo = URI.create(pods.secretText("lifespan-redis", "url")).getUserInfo();
        assertThat(userInfo).as("the password in the lifespan-redis Secret's url").isNotBlank();
        int port = EmbeddedServers.freePort();
        redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("requirepass " + userInfo.substring(userInfo.indexOf(':') + 1))
                .setting("save \"\"").setting("appendonly no").build();
        redis.start();
        pods.route("lifespan-redis:6379", port);
    }

    /** A client that presents {@code caller} and trusts only {@code authority}, as a caller inside the mesh would. */
    private static SSLContext mutualTls(TestCertificates.Pem caller, Path authority) throws Exception {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        Certificate certificate;
        Certificate ca;
        try (var in = Files.newInputStream(caller.certificate()); var caIn = Files.newInputStream(authority)) {
            certificate = x509.generateCertificate(in);
            ca = x509.generateCertificate(caIn);
        }
        String pem = Files.readString(caller.privateKey()).replaceAll("-----[A-Z ]+-----", "");
        PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(pem)));
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("caller", key, new char[0], new Certificate[] {certificate});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, new char[0]);
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("lifespan-ca", ca);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        return context;
    }
}
