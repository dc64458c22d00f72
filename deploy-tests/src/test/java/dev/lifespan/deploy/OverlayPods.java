package dev.lifespan.deploy;

import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.LocalStack;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A rendered overlay's Lifespan pods run without a cluster. Each Deployment's container is started from its service's
 * packaged jar (what its image runs) with exactly the environment its pod would get (env and envFrom resolved from the
 * rendered ConfigMaps and Secrets, {@code env} over {@code envFrom}, {@code $(VAR)} expanded) and its ConfigMap and
 * Secret volumes written out as files; readiness is the container's own readiness probe.
 *
 * <p>What differs from a cluster, and only this: a Service's name and port in any value or mounted file become
 * {@code 127.0.0.1} and a free local port (all pods listen on the same ports), so each port setting a container has is
 * moved to its local port; mount paths become folders under a scratch directory; images are the jars, run on this
 * JVM's Java. Secrets the overlay only references (prod's) are {@link #addSecret added} by the test, as an operator
 * creates them, and addresses outside the overlay (prod's datastores) are {@link #route routed}.
 */
final class OverlayPods implements AutoCloseable {
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    private static final Duration READY = Duration.ofSeconds(120);

    final Manifests m;
    private final Path scratch;
    private final Path repository;
    private final Path logDir;
    private final Map<String, Map<String, byte[]>> configMaps = new HashMap<>();
    private final Map<String, Map<String, byte[]>> secrets = new HashMap<>();
    /** {@code service:port} (a Service's port, or a name routed outside) and {@code <workload>-pod:<port>} to a local port. */
    private final Map<String, Integer> localPorts = new LinkedHashMap<>();
    private final Map<String, Process> pods = new LinkedHashMap<>();
    private final Map<String, Path> logs = new LinkedHashMap<>();

    /**
     * @param repository the checkout, whose {@code <module>/target/quarkus-app} jars are the images
     * @param logDir     where each pod's output goes ({@code <workload>.log}), kept after the run
     */
    OverlayPods(Manifests m, Path scratch, Path repository, Path logDir) throws IOException {
        this.m = m;
        this.scratch = scratch;
        this.repository = repository;
        this.logDir = logDir;
        m.all(ConfigMap.class).forEach(cm -> configMaps.put(cm.getMetadata().getName(), data(cm.getData(), cm.getBinaryData())));
        m.all(Secret.class).forEach(s -> secrets.put(s.getMetadata().getName(), data(s.getStringData(), s.getData())));
        assignLocalPorts();
    }

    /** A Secret the overlay references but does not contain, as the operator creates it. */
    void addSecret(String name, Map<String, byte[]> data) {
        assertThat(secrets).as("Secret %s is in the overlay already", name).doesNotContainKey(name);
        secrets.put(name, Map.copyOf(data));
    }

    /** {@code name:port}, an address outside the overlay (an ExternalName Service, a datastore), reached locally. */
    void route(String nameAndPort, int localPort) {
        localPorts.put(nameAndPort, localPort);
    }

    /** The local port of a Service's port (its in-cluster {@code name:port}), or of a routed address. */
    int localPort(String serviceAndPort) {
        Integer port = localPorts.get(serviceAndPort);
        assertThat(port).as("a local port for %s", serviceAndPort).isNotNull();
        return port;
    }

    /** The local port of a container port of {@code w}'s pod. */
    int localPort(Manifests.Workload w, int containerPort) {
        return localPort(podPort(w, containerPort));
    }

    /** Starts every Deployment whose image is a Lifespan service's; returns their names. */
    List<String> launchLifespanPods() throws IOException {
        for (Manifests.Workload w : m.workloads()) {
            if (container(w).getImage().startsWith("lifespan/")) {
                pods.put(w.name(), launch(w));
            }
        }
        return List.copyOf(pods.keySet());
    }

    /**
     * Waits until each pod's readiness probe would pass (its httpGet path, port and scheme; over HTTPS without checking
     * the certificate, as the kubelet probes); fails at once, with the end of its log, if any pod exits meanwhile.
     */
    void awaitReady() {
        HttpClient probes = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(trustingEveryCertificate()).build();
        for (String pod : pods.keySet()) {
            Manifests.Workload w = workload(pod);
            Container c = container(w);
            var probe = c.getReadinessProbe().getHttpGet();
            int port = probe.getPort().getStrVal() == null ? probe.getPort().getIntVal() : list(c.getPorts()).stream()
                    .filter(p -> probe.getPort().getStrVal().equals(p.getName())).findFirst().orElseThrow().getContainerPort();
            String scheme = probe.getScheme() == null ? "http" : probe.getScheme().toLowerCase(Locale.ROOT);
            URI url = URI.create(scheme + "://127.0.0.1:" + localPort(w, port) + probe.getPath());
            await().atMost(READY).pollInterval(Duration.ofMillis(250)).ignoreExceptionsInstanceOf(IOException.class).until(() -> {
                pods.forEach((name, process) -> {
                    if (!process.isAlive()) {
                        throw new AssertionError(name + " exited (" + process.exitValue() + ") while " + pod + " was starting; "
                                + logs.get(name).toAbsolutePath() + " ends:\n" + tail(name));
                    }
                });
                return probes.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200;
            });
        }
    }

    /** The container's environment as the kubelet makes it: envFrom first, then env, which wins; $(VAR) expanded. */
    Map<String, String> environment(Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : list(c.getEnvFrom())) {
            Map<String, byte[]> source = from.getConfigMapRef() != null ? configMaps.get(from.getConfigMapRef().getName())
                    : secrets.get(from.getSecretRef().getName());
            assertThat(source).as("%s's envFrom source", c.getName()).isNotNull();
            String prefix = from.getPrefix() == null ? "" : from.getPrefix();
            source.forEach((key, value) -> env.put(prefix + key, new String(value, StandardCharsets.UTF_8)));
        }
        for (EnvVar e : list(c.getEnv())) {
            env.put(e.getName(), expand(value(e), env));
        }
        return env;
    }

    /** {@code value} with $(VAR) references to {@code env} expanded, as the kubelet does in env values and args. */
    static String expand(String value, Map<String, String> env) {
        Matcher reference = ENV_REFERENCE.matcher(value);
        return reference.replaceAll(r -> Matcher.quoteReplacement(env.getOrDefault(r.group(1), r.group())));
    }

    /** Writes the container's ConfigMap and Secret volumes under {@code root}: mount path to local folder. */
    Map<String, String> writeVolumes(Manifests.Workload w, Container c, Path root) throws IOException {
        Map<String, String> mounts = new LinkedHashMap<>();
        for (VolumeMount mount : list(c.getVolumeMounts())) {
            Optional<Volume> declared = list(w.template().getSpec().getVolumes()).stream().filter(v -> v.getName().equals(mount.getName())).findFirst();
            if (declared.isEmpty()) {
                continue; // a StatefulSet's volume claim
            }
            Volume volume = declared.get();
            Map<String, byte[]> files;
            List<KeyToPath> items;
            if (volume.getConfigMap() != null) {
                files = configMaps.get(volume.getConfigMap().getName());
                items = volume.getConfigMap().getItems();
            } else if (volume.getSecret() != null) {
                files = secrets.get(volume.getSecret().getSecretName());
                items = volume.getSecret().getItems();
            } else {
                continue;
            }
            assertThat(files).as("%s volume %s", w, volume.getName()).isNotNull();
            Path dir = Files.createDirectories(root.resolve(mount.getMountPath().substring(1)));
            Map<String, String> paths = new LinkedHashMap<>();
            if (items == null || items.isEmpty()) {
                files.keySet().forEach(key -> paths.put(key, key));
            } else {
                items.forEach(item -> paths.put(item.getKey(), item.getPath()));
            }
            for (Map.Entry<String, String> file : paths.entrySet()) {
                assertThat(files).as("%s volume %s", w, volume.getName()).containsKey(file.getKey());
                Files.writeString(dir.resolve(file.getValue()), local(new String(files.get(file.getKey()), StandardCharsets.UTF_8)));
            }
            mounts.put(mount.getMountPath(), dir.toString());
        }
        return mounts;
    }

    Manifests.Workload workload(String name) {
        return m.workloads().stream().filter(w -> w.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("the overlay has no workload " + name));
    }

    static Container container(Manifests.Workload w) {
        List<Container> containers = w.template().getSpec().getContainers();
        assertThat(containers).as("%s's containers", w).hasSize(1);
        return containers.get(0);
    }

    /** A key of a ConfigMap or Secret the overlay has (or was given), as text. */
    String secretText(String name, String key) {
        return text(secrets, name, key);
    }

    @Override
    public void close() {
        LocalStack.stopProcesses(List.copyOf(pods.values()));
    }

    // -----------------------------------------------------------------------------------------------------------------

    /** Starts a Lifespan pod's container: its jar, its environment, its volumes. */
    private Process launch(Manifests.Workload w) throws IOException {
        Container c = container(w);
        String module = c.getImage().substring("lifespan/".length(), c.getImage().indexOf(':'));
        Path jar = repository.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        assertThat(jar).as("the packaged %s (build it first: ./mvnw -B package -DskipTests)", module).exists();
        Path root = Files.createDirectories(scratch.resolve("pods").resolve(w.name()));
        Map<String, String> mounts = writeVolumes(w, c, root);

        Map<String, String> env = environment(c);
        env.replaceAll((name, value) -> local(moved(value, mounts)));
        // Quarkus's HTTP port is 8080 unless set; the pod listens there, so it moves with the others.
        env.putIfAbsent("QUARKUS_HTTP_PORT", "8080");
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().endsWith("_PORT") && list(c.getPorts()).stream().anyMatch(p -> String.valueOf(p.getContainerPort()).equals(e.getValue()))) {
                e.setValue(String.valueOf(localPort(w, Integer.parseInt(e.getValue()))));
            }
        }
        if ("8080".equals(env.get("QUARKUS_HTTP_PORT"))) {
            // Not a port of the container (TLS only): a free one, so that pods on one host cannot clash should it open.
            env.put("QUARKUS_HTTP_PORT", String.valueOf(EmbeddedServers.freePort()));
        }

        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString())
                .directory(root.toFile()).redirectErrorStream(true);
        Path log = Files.createDirectories(logDir).resolve(w.name() + ".log");
        Files.deleteIfExists(log);
        builder.redirectOutput(log.toFile());
        logs.put(w.name(), log);
        builder.environment().keySet().retainAll(List.of("PATH", "HOME", "LANG"));
        builder.environment().putAll(env);
        return builder.start();
    }

    private String value(EnvVar e) {
        if (e.getValueFrom() == null) {
            return e.getValue() == null ? "" : e.getValue();
        }
        var configMap = e.getValueFrom().getConfigMapKeyRef();
        if (configMap != null) {
            return text(configMaps, configMap.getName(), configMap.getKey());
        }
        var secret = e.getValueFrom().getSecretKeyRef();
        if (secret != null) {
            return text(secrets, secret.getName(), secret.getKey());
        }
        throw new AssertionError("env " + e.getName() + ": only values, ConfigMap and Secret keys are resolved here, not " + e.getValueFrom());
    }

    private static String moved(String value, Map<String, String> mounts) {
        String moved = value;
        for (Map.Entry<String, String> mount : mounts.entrySet()) {
            moved = moved.replace(mount.getKey() + "/", mount.getValue() + "/");
        }
        return moved;
    }

    /** A value with every {@code service:port} of the overlay (bare or namespaced Service names) made local. */
    private String local(String value) {
        String local = value;
        for (Map.Entry<String, Integer> address : localPorts.entrySet()) {
            String[] serviceAndPort = address.getKey().split(":");
            local = local.replaceAll("(?<![A-Za-z0-9.-])" + Pattern.quote(serviceAndPort[0]) + "(\\.[a-z0-9-]+(\\.svc(\\.cluster\\.local)?)?)?:"
                    + serviceAndPort[1] + "(?![0-9])", "127.0.0.1:" + address.getValue());
        }
        return local;
    }

    /** A free local port for every container port, reached by its Services' names and ports. */
    private void assignLocalPorts() throws IOException {
        for (Manifests.Workload w : m.workloads()) {
            for (ContainerPort p : list(container(w).getPorts())) {
                localPorts.put(podPort(w, p.getContainerPort()), EmbeddedServers.freePort());
            }
        }
        for (Service s : m.all(Service.class).toList()) {
            for (Manifests.Workload w : m.selectedBy(s.getSpec().getSelector())) {
                for (ServicePort port : s.getSpec().getPorts()) {
                    Optional<ContainerPort> target = list(container(w).getPorts()).stream().filter(p -> port.getTargetPort() == null
                            ? p.getContainerPort().equals(port.getPort())
                            : port.getTargetPort().getStrVal() != null ? port.getTargetPort().getStrVal().equals(p.getName())
                            : port.getTargetPort().getIntVal().equals(p.getContainerPort())).findFirst();
                    assertThat(target).as("Service %s port %s", s.getMetadata().getName(), port.getPort()).isPresent();
                    localPorts.put(s.getMetadata().getName() + ":" + port.getPort(), localPort(w, target.get().getContainerPort()));
                }
            }
        }
    }

    private static String podPort(Manifests.Workload w, int containerPort) {
        return w.name() + "-pod:" + containerPort;
    }

    private String tail(String pod) {
        try {
            List<String> lines = Files.readAllLines(logs.get(pod));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static String text(Map<String, Map<String, byte[]>> objects, String name, String key) {
        Map<String, byte[]> data = objects.get(name);
        assertThat(data).as("%s in the rendered overlay", name).isNotNull();
        assertThat(data).as("key %s of %s", key, name).containsKey(key);
        return new String(data.get(key), StandardCharsets.UTF_8);
    }

    /** A ConfigMap's or Secret's keys: {@code text} as given, {@code base64} decoded (kustomize wraps long values). */
    static Map<String, byte[]> data(Map<String, String> text, Map<String, String> base64) {
        Map<String, byte[]> data = new TreeMap<>();
        if (base64 != null) {
            base64.forEach((key, value) -> data.put(key, Base64.getMimeDecoder().decode(value)));
        }
        if (text != null) {
            text.forEach((key, value) -> data.put(key, value.getBytes(StandardCharsets.UTF_8)));
        }
        return data;
    }

    /** What the kubelet's HTTPS probes do: TLS without checking the server's certificate. */
    private static SSLContext trustingEveryCertificate() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            // An X509ExtendedTrustManager: a plain X509TrustManager would be wrapped in the JDK's host name check.
            context.init(null, new TrustManager[] {new X509ExtendedTrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }
}
