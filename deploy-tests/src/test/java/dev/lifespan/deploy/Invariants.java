package dev.lifespan.deploy;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.Endpoint;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What every rendered overlay must satisfy. Each check returns the violations it finds, one sentence each naming the
 * object, so a failing test says what to fix; an empty list means the check holds.
 */
final class Invariants {

    private Invariants() {
    }

    /** Every check on one overlay; {@code external} says which references may point outside it (prod: k8s/README.md). */
    static List<String> all(Manifests m, ExternalReferences external) {
        List<String> violations = new ArrayList<>();
        violations.addAll(containersHardened(m));
        violations.addAll(serviceAccounts(m));
        violations.addAll(selectorsMatchWorkloads(m));
        violations.addAll(portsAreContainerPorts(m));
        violations.addAll(referencedKeysExist(m, external));
        violations.addAll(databasesOfTheirOwn(m));
        return violations;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Probes, resources, security context
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Every container has startup, liveness and readiness probes; CPU and memory requests and limits; runs as non-root
     * without privilege escalation, with a read-only root filesystem, all capabilities dropped and the RuntimeDefault
     * seccomp profile (in its own security context or, for runAsNonRoot and seccomp, the pod's); and has an emptyDir at
     * /tmp, the one place it may write.
     */
    static List<String> containersHardened(Manifests m) {
        List<String> v = new ArrayList<>();
        for (Manifests.Workload w : m.workloads()) {
            PodSpec pod = w.template().getSpec();
            PodSecurityContext podSc = pod.getSecurityContext();
            for (Container c : Stream.concat(list(pod.getInitContainers()).stream(), list(pod.getContainers()).stream()).toList()) {
                boolean init = list(pod.getInitContainers()).contains(c);
                String where = w + " container " + c.getName();
                if (!init) {
                    if (c.getStartupProbe() == null) v.add(where + " has no startupProbe");
                    if (c.getLivenessProbe() == null) v.add(where + " has no livenessProbe");
                    if (c.getReadinessProbe() == null) v.add(where + " has no readinessProbe");
                }
                ResourceRequirements r = c.getResources();
                for (String kind : List.of("cpu", "memory")) {
                    if (r == null || r.getRequests() == null || !r.getRequests().containsKey(kind)) v.add(where + " has no " + kind + " request");
                    if (r == null || r.getLimits() == null || !r.getLimits().containsKey(kind)) v.add(where + " has no " + kind + " limit");
                }
                SecurityContext sc = c.getSecurityContext();
                if (sc == null) {
                    v.add(where + " has no securityContext");
                    continue;
                }
                if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) v.add(where + " does not set allowPrivilegeEscalation: false");
                if (!Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) v.add(where + " does not set readOnlyRootFilesystem: true");
                if (Boolean.TRUE.equals(sc.getPrivileged())) v.add(where + " is privileged");
                Capabilities caps = sc.getCapabilities();
                if (caps == null || caps.getDrop() == null || !caps.getDrop().contains("ALL")) v.add(where + " does not drop ALL capabilities");
                if (caps != null && caps.getAdd() != null && !caps.getAdd().isEmpty()) v.add(where + " adds capabilities " + caps.getAdd());
                Boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : podSc == null ? null : podSc.getRunAsNonRoot();
                if (!Boolean.TRUE.equals(nonRoot)) v.add(where + " does not run as non-root (runAsNonRoot)");
                Long uid = sc.getRunAsUser() != null ? sc.getRunAsUser() : podSc == null ? null : podSc.getRunAsUser();
                if (uid != null && uid == 0) v.add(where + " runs as uid 0");
                String seccomp = sc.getSeccompProfile() != null ? sc.getSeccompProfile().getType()
                        : podSc != null && podSc.getSeccompProfile() != null ? podSc.getSeccompProfile().getType() : null;
                if (!"RuntimeDefault".equals(seccomp)) v.add(where + " does not use the RuntimeDefault seccomp profile");
                if (Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem()) && !init && !writableTmp(pod, c)) {
                    v.add(where + " has a read-only root filesystem but no emptyDir mounted at /tmp");
                }
            }
        }
        return v;
    }

    private static boolean writableTmp(PodSpec pod, Container c) {
        for (VolumeMount mount : list(c.getVolumeMounts())) {
            if ("/tmp".equals(mount.getMountPath()) && !Boolean.TRUE.equals(mount.getReadOnly())) {
                return list(pod.getVolumes()).stream().anyMatch(vol -> vol.getName().equals(mount.getName()) && vol.getEmptyDir() != null);
            }
        }
        return false;
    }

    /** No Kubernetes API token reaches any pod: ServiceAccounts and pods turn automounting off, pods name their own account. */
    static List<String> serviceAccounts(Manifests m) {
        List<String> v = new ArrayList<>();
        m.all(ServiceAccount.class).filter(sa -> !Boolean.FALSE.equals(sa.getAutomountServiceAccountToken()))
                .forEach(sa -> v.add("ServiceAccount " + sa.getMetadata().getName() + " does not set automountServiceAccountToken: false"));
        for (Manifests.Workload w : m.workloads()) {
            PodSpec pod = w.template().getSpec();
            if (!Boolean.FALSE.equals(pod.getAutomountServiceAccountToken())) {
                v.add(w + " does not set automountServiceAccountToken: false on its pods");
            }
            String account = pod.getServiceAccountName();
            if (account == null || account.isBlank() || "default".equals(account)) {
                v.add(w + " runs under the namespace's default ServiceAccount");
            } else if (m.named(ServiceAccount.class, account).isEmpty()) {
                v.add(w + " names ServiceAccount " + account + ", which the overlay does not contain");
            }
        }
        return v;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Selectors
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Every selector picks pods that exist: a workload's own selector its template, PodDisruptionBudgets, Services (but
     * ExternalName ones), NetworkPolicies (their subject and same-namespace pod peers), topology spread constraints
     * (their own pods), ServiceMonitors (a Service); every HorizontalPodAutoscaler targets an existing workload.
     */
    static List<String> selectorsMatchWorkloads(Manifests m) {
        List<String> v = new ArrayList<>();
        for (Manifests.Workload w : m.workloads()) {
            if (!Manifests.matches(w.selector(), w.podLabels())) v.add(w + "'s selector does not match its own pod template labels");
            for (TopologySpreadConstraint t : list(w.template().getSpec().getTopologySpreadConstraints())) {
                if (!Manifests.matches(t.getLabelSelector(), w.podLabels())) {
                    v.add(w + "'s topology spread constraint over " + t.getTopologyKey() + " does not select its own pods");
                }
            }
        }
        m.all(PodDisruptionBudget.class).forEach(pdb -> {
            if (m.selectedBy(pdb.getSpec().getSelector()).isEmpty()) {
                v.add("PodDisruptionBudget " + pdb.getMetadata().getName() + " selects no workload's pods");
            }
        });
        m.all(HorizontalPodAutoscaler.class).forEach(hpa -> {
            var ref = hpa.getSpec().getScaleTargetRef();
            boolean exists = m.workloads().stream().anyMatch(w -> w.kind().equals(ref.getKind()) && w.name().equals(ref.getName()));
            if (!exists || !"apps/v1".equals(ref.getApiVersion())) {
                v.add("HorizontalPodAutoscaler " + hpa.getMetadata().getName() + " targets " + ref.getApiVersion() + " " + ref.getKind()
                        + " " + ref.getName() + ", which the overlay does not contain");
            }
        });
        m.all(Service.class).forEach(s -> {
            if ("ExternalName".equals(s.getSpec().getType())) {
                return;
            }
            if (m.selectedBy(s.getSpec().getSelector()).isEmpty()) {
                v.add("Service " + s.getMetadata().getName() + " selects no workload's pods");
            }
        });
        m.all(NetworkPolicy.class).forEach(np -> {
            String name = "NetworkPolicy " + np.getMetadata().getName();
            if (!Manifests.isEmpty(np.getSpec().getPodSelector()) && m.selectedBy(np.getSpec().getPodSelector()).isEmpty()) {
                v.add(name + " applies to no workload's pods");
            }
            Stream.concat(list(np.getSpec().getIngress()).stream().flatMap(r -> list(r.getFrom()).stream()),
                            list(np.getSpec().getEgress()).stream().flatMap(r -> list(r.getTo()).stream()))
                    .filter(Invariants::sameNamespacePods)
                    .filter(peer -> m.selectedBy(peer.getPodSelector()).isEmpty())
                    .forEach(peer -> v.add(name + " names peer pods " + describe(peer) + " that no workload runs"));
        });
        m.all(ServiceMonitor.class).forEach(sm -> {
            boolean any = m.all(Service.class).anyMatch(s -> Manifests.matches(sm.getSpec().getSelector(), labels(s)));
            if (!any) v.add("ServiceMonitor " + sm.getMetadata().getName() + " selects no Service");
        });
        return v;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Ports
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Every port named anywhere is a port a container opens: Service targetPorts (in every pod the Service selects),
     * NetworkPolicy ingress ports (in every pod the policy applies to) and egress ports towards same-namespace pods (in
     * every pod of the peer), probe ports (in their own container), ServiceMonitor endpoints (a port of a selected
     * Service). Named ports are resolved by name, numbers by containerPort.
     */
    static List<String> portsAreContainerPorts(Manifests m) {
        List<String> v = new ArrayList<>();
        m.all(Service.class).filter(s -> !"ExternalName".equals(s.getSpec().getType())).forEach(s -> {
            for (ServicePort p : list(s.getSpec().getPorts())) {
                IntOrString target = p.getTargetPort() != null ? p.getTargetPort() : new IntOrString(p.getPort());
                for (Manifests.Workload w : m.selectedBy(s.getSpec().getSelector())) {
                    if (!opens(w, target)) {
                        v.add("Service " + s.getMetadata().getName() + " port " + p.getName() + " targets " + show(target) + ", which " + w + " does not open");
                    }
                }
            }
        });
        m.all(NetworkPolicy.class).forEach(np -> {
            String name = "NetworkPolicy " + np.getMetadata().getName();
            List<Manifests.Workload> subjects = m.selectedBy(np.getSpec().getPodSelector());
            for (NetworkPolicyIngressRule rule : list(np.getSpec().getIngress())) {
                for (NetworkPolicyPort p : list(rule.getPorts())) {
                    for (Manifests.Workload w : subjects) {
                        if (p.getPort() != null && !opens(w, p.getPort())) {
                            v.add(name + " lets traffic in on " + show(p.getPort()) + ", which " + w + " does not open");
                        }
                    }
                }
            }
            for (NetworkPolicyEgressRule rule : list(np.getSpec().getEgress())) {
                for (NetworkPolicyPeer peer : list(rule.getTo())) {
                    if (!sameNamespacePods(peer)) {
                        continue;
                    }
                    for (NetworkPolicyPort p : list(rule.getPorts())) {
                        for (Manifests.Workload w : m.selectedBy(peer.getPodSelector())) {
                            if (p.getPort() != null && !opens(w, p.getPort())) {
                                v.add(name + " lets traffic out to " + show(p.getPort()) + " of " + w + ", which it does not open");
                            }
                        }
                    }
                }
            }
        });
        for (Manifests.Workload w : m.workloads()) {
            for (Container c : list(w.template().getSpec().getContainers())) {
                for (Probe probe : Stream.of(c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe()).filter(Objects::nonNull).toList()) {
                    IntOrString port = probe.getHttpGet() != null ? probe.getHttpGet().getPort()
                            : probe.getTcpSocket() != null ? probe.getTcpSocket().getPort()
                            : probe.getGrpc() != null ? new IntOrString(probe.getGrpc().getPort()) : null;
                    if (port != null && !opens(List.of(c), port)) {
                        v.add(w + " container " + c.getName() + " probes " + show(port) + ", which it does not open");
                    }
                }
            }
        }
        m.all(ServiceMonitor.class).forEach(sm -> {
            List<Service> services = m.all(Service.class).filter(s -> Manifests.matches(sm.getSpec().getSelector(), labels(s))).toList();
            for (Endpoint e : list(sm.getSpec().getEndpoints())) {
                for (Service s : services) {
                    if (list(s.getSpec().getPorts()).stream().noneMatch(p -> Objects.equals(p.getName(), e.getPort()))) {
                        v.add("ServiceMonitor " + sm.getMetadata().getName() + " scrapes port " + e.getPort() + ", which Service "
                                + s.getMetadata().getName() + " does not have");
                    }
                }
            }
        });
        return v;
    }

    private static boolean opens(Manifests.Workload w, IntOrString port) {
        return opens(list(w.template().getSpec().getContainers()), port);
    }

    private static boolean opens(List<Container> containers, IntOrString port) {
        return containers.stream().flatMap(c -> list(c.getPorts()).stream()).anyMatch((ContainerPort p) ->
                port.getStrVal() != null ? port.getStrVal().equals(p.getName()) : Objects.equals(port.getIntVal(), p.getContainerPort()));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Secret and ConfigMap keys
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Every Secret and ConfigMap key a pod reads (env valueFrom, envFrom, volume items, projected volumes) exists in
     * the overlay: in a ConfigMap or Secret it renders, or in the Secret a cert-manager Certificate of the overlay
     * keeps (tls.crt, tls.key, ca.crt). A reference to an object the overlay does not contain is allowed only where
     * {@code external} documents it; optional references are never required.
     */
    static List<String> referencedKeysExist(Manifests m, ExternalReferences external) {
        Map<String, Set<String>> configMaps = new HashMap<>();
        Map<String, Set<String>> secrets = new HashMap<>();
        m.all(ConfigMap.class).forEach(cm -> configMaps.put(cm.getMetadata().getName(), union(keys(cm.getData()), keys(cm.getBinaryData()))));
        m.all(Secret.class).forEach(s -> secrets.put(s.getMetadata().getName(), union(keys(s.getData()), keys(s.getStringData()))));
        m.all(CertManagerCertificate.class).forEach(c -> secrets.put(c.getSpec().secretName(), Set.of("tls.crt", "tls.key", "ca.crt")));

        List<String> v = new ArrayList<>();
        for (Manifests.Workload w : m.workloads()) {
            PodSpec pod = w.template().getSpec();
            for (Container c : Stream.concat(list(pod.getInitContainers()).stream(), list(pod.getContainers()).stream()).toList()) {
                String where = w + " container " + c.getName();
                for (EnvVar e : list(c.getEnv())) {
                    if (e.getValueFrom() == null) continue;
                    var s = e.getValueFrom().getSecretKeyRef();
                    if (s != null) check(v, where + " env " + e.getName(), "Secret", secrets, s.getName(), s.getKey(), s.getOptional(), external);
                    var cm = e.getValueFrom().getConfigMapKeyRef();
                    if (cm != null) check(v, where + " env " + e.getName(), "ConfigMap", configMaps, cm.getName(), cm.getKey(), cm.getOptional(), external);
                }
                for (EnvFromSource from : list(c.getEnvFrom())) {
                    if (from.getSecretRef() != null) {
                        check(v, where + " envFrom", "Secret", secrets, from.getSecretRef().getName(), null, from.getSecretRef().getOptional(), external);
                    }
                    if (from.getConfigMapRef() != null) {
                        check(v, where + " envFrom", "ConfigMap", configMaps, from.getConfigMapRef().getName(), null, from.getConfigMapRef().getOptional(), external);
                    }
                }
            }
            for (Volume vol : list(pod.getVolumes())) {
                String where = w + " volume " + vol.getName();
                if (vol.getSecret() != null) {
                    items(v, where, "Secret", secrets, vol.getSecret().getSecretName(), vol.getSecret().getItems(), vol.getSecret().getOptional(), external);
                }
                if (vol.getConfigMap() != null) {
                    items(v, where, "ConfigMap", configMaps, vol.getConfigMap().getName(), vol.getConfigMap().getItems(), vol.getConfigMap().getOptional(), external);
                }
                if (vol.getProjected() != null) {
                    for (VolumeProjection p : list(vol.getProjected().getSources())) {
                        if (p.getSecret() != null) items(v, where, "Secret", secrets, p.getSecret().getName(), p.getSecret().getItems(), p.getSecret().getOptional(), external);
                        if (p.getConfigMap() != null) items(v, where, "ConfigMap", configMaps, p.getConfigMap().getName(), p.getConfigMap().getItems(), p.getConfigMap().getOptional(), external);
                    }
                }
            }
        }
        return v;
    }

    private static void items(List<String> v, String where, String kind, Map<String, Set<String>> objects, String name,
                              List<KeyToPath> items, Boolean optional, ExternalReferences external) {
        if (items == null || items.isEmpty()) {
            check(v, where, kind, objects, name, null, optional, external);
        } else {
            items.forEach(i -> check(v, where, kind, objects, name, i.getKey(), optional, external));
        }
    }

    private static void check(List<String> v, String where, String kind, Map<String, Set<String>> objects, String name, String key,
                              Boolean optional, ExternalReferences external) {
        if (Boolean.TRUE.equals(optional)) {
            return;
        }
        Set<String> keys = objects.get(name);
        if (keys != null) {
            if (key != null && !keys.contains(key)) {
                v.add(where + " reads key " + key + " of " + kind + " " + name + ", which has only " + keys);
            }
        } else if (!external.documents(name, key)) {
            v.add(where + " reads " + (key == null ? "" : "key " + key + " of ") + kind + " " + name
                    + ", which the overlay does not contain" + external.hint());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Databases
    // ---------------------------------------------------------------------------------------------------------------

    /** The environment variables a Lifespan service reads its database from: the reactive client's and Flyway's. */
    static final List<String> DATABASE_URLS = List.of("LIFESPAN_DB_REACTIVE_URL", "LIFESPAN_DB_JDBC_URL");
    private static final Pattern DATABASE_URL = Pattern.compile("^(?:jdbc:)?postgres(?:ql)?://(?:[^@/]*@)?([^/?#]+)/([^/?#]+)");
    private static final Pattern CREATE_DATABASE = Pattern.compile("(?i)CREATE\\s+DATABASE\\s+\"?([A-Za-z0-9_]+)\"?");
    /** A Service's in-cluster DNS names ({@code db}, {@code db.ns.svc}, {@code db.ns.svc.cluster.local}): one server. */
    private static final Pattern IN_CLUSTER = Pattern.compile("^([a-z0-9-]+)\\.[a-z0-9-]+\\.svc(?:\\.cluster\\.local)?$");
    private static final String INIT_SCRIPTS = "/docker-entrypoint-initdb.d";

    /**
     * A database on a server: {@code host:port/name}, the port defaulted as PostgreSQL's drivers do and a Service's
     * in-cluster names taken as its bare name (the overlays are rendered into one namespace).
     */
    record Database(String host, int port, String name) {
        static Optional<Database> of(String url) {
            Matcher match = DATABASE_URL.matcher(url);
            if (!match.find()) {
                return Optional.empty();
            }
            String server = match.group(1).toLowerCase(Locale.ROOT);
            int colon = server.lastIndexOf(':');
            String host = colon < 0 ? server : server.substring(0, colon);
            int port = colon < 0 ? 5432 : Integer.parseInt(server.substring(colon + 1));
            return Optional.of(new Database(IN_CLUSTER.matcher(host).replaceFirst("$1"), port, match.group(2)));
        }

        @Override
        public String toString() {
            return "database " + name + " on " + host + ":" + port;
        }
    }

    /**
     * Each service has a database of its own: its migrations create tables of the same names as the others' (every
     * producer's {@code audit_outbox}), so the second to migrate into a shared database crash-loops. A container's
     * reactive and JDBC URLs name the same database (Flyway migrates the one the service uses). A database on a
     * PostgreSQL the overlay runs itself is made there: the image's {@code POSTGRES_DB}, or a {@code CREATE DATABASE}
     * in a ConfigMap mounted at {@value #INIT_SCRIPTS}. URLs that come from outside the overlay are not checked.
     */
    static List<String> databasesOfTheirOwn(Manifests m) {
        Map<String, Map<String, String>> configMaps = new HashMap<>();
        m.all(ConfigMap.class).forEach(cm -> configMaps.put(cm.getMetadata().getName(), cm.getData() == null ? Map.of() : cm.getData()));
        List<String> v = new ArrayList<>();
        Map<Database, String> owners = new HashMap<>();
        for (Manifests.Workload w : m.workloads()) {
            for (Container c : list(w.template().getSpec().getContainers())) {
                String where = w + " container " + c.getName();
                Map<String, Database> named = new LinkedHashMap<>();
                for (EnvVar e : list(c.getEnv())) {
                    if (!DATABASE_URLS.contains(e.getName())) continue;
                    Optional<String> url = value(e, configMaps);
                    if (url.isEmpty()) continue;
                    Optional<Database> db = Database.of(url.get());
                    if (db.isEmpty()) {
                        v.add(where + " env " + e.getName() + " is not a PostgreSQL URL with a database: " + url.get());
                    } else {
                        named.put(e.getName(), db.get());
                    }
                }
                if (new HashSet<>(named.values()).size() > 1) {
                    v.add(where + " names different databases in " + named + ": Flyway would migrate another database than the service uses");
                }
                for (Database db : new HashSet<>(named.values())) {
                    String other = owners.putIfAbsent(db, where);
                    if (other != null && !other.startsWith(w + " ")) {
                        v.add(where + " and " + other + " share " + db + ": each service needs a database of its own");
                    }
                    madeInTheOverlay(m, db, configMaps).ifPresent(problem -> v.add(where + " uses " + db + ", " + problem));
                }
            }
        }
        return v;
    }

    /** Empty when {@code db} is on a server outside the overlay or the overlay's server makes it; else what is wrong. */
    private static Optional<String> madeInTheOverlay(Manifests m, Database db, Map<String, Map<String, String>> configMaps) {
        Optional<Service> service = m.named(Service.class, db.host());
        if (service.isEmpty()) {
            return Optional.empty();
        }
        for (Manifests.Workload server : m.selectedBy(service.get().getSpec().getSelector())) {
            PodSpec pod = server.template().getSpec();
            for (Container c : list(pod.getContainers())) {
                Optional<String> initial = list(c.getEnv()).stream().filter(e -> "POSTGRES_DB".equals(e.getName())).findFirst()
                        .flatMap(e -> value(e, configMaps));
                if (initial.isEmpty()) continue;
                Set<String> made = new java.util.TreeSet<>(Set.of(initial.get()));
                for (VolumeMount mount : list(c.getVolumeMounts())) {
                    if (!INIT_SCRIPTS.equals(mount.getMountPath())) continue;
                    list(pod.getVolumes()).stream().filter(vol -> vol.getName().equals(mount.getName()) && vol.getConfigMap() != null)
                            .map(vol -> configMaps.getOrDefault(vol.getConfigMap().getName(), Map.of()))
                            .flatMap(scripts -> scripts.values().stream())
                            .forEach(script -> CREATE_DATABASE.matcher(script).results().forEach(r -> made.add(r.group(1))));
                }
                if (!made.contains(db.name())) {
                    return Optional.of("which " + server + " never makes (it makes " + made + ": POSTGRES_DB and " + INIT_SCRIPTS + ")");
                }
            }
        }
        return Optional.empty();
    }

    /** An env var's value, given inline or from a ConfigMap the overlay renders; empty when it comes from elsewhere. */
    private static Optional<String> value(EnvVar e, Map<String, Map<String, String>> configMaps) {
        if (e.getValue() != null) {
            return Optional.of(e.getValue());
        }
        var ref = e.getValueFrom() == null ? null : e.getValueFrom().getConfigMapKeyRef();
        return ref == null ? Optional.empty() : Optional.ofNullable(configMaps.getOrDefault(ref.getName(), Map.of()).get(ref.getKey()));
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static boolean sameNamespacePods(NetworkPolicyPeer peer) {
        return peer.getPodSelector() != null && peer.getNamespaceSelector() == null && peer.getIpBlock() == null
                && !Manifests.isEmpty(peer.getPodSelector());
    }

    private static String describe(NetworkPolicyPeer peer) {
        return Optional.ofNullable(peer.getPodSelector().getMatchLabels()).map(Object::toString).orElse("")
                + Optional.ofNullable(peer.getPodSelector().getMatchExpressions()).map(Object::toString).orElse("");
    }

    private static Map<String, String> labels(Service s) {
        return s.getMetadata().getLabels() == null ? Map.of() : s.getMetadata().getLabels();
    }

    private static String show(IntOrString port) {
        return port.getStrVal() != null ? "port " + port.getStrVal() : "port " + port.getIntVal();
    }

    private static Set<String> keys(Map<String, String> map) {
        return map == null ? Set.of() : map.keySet();
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    private static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }
}
