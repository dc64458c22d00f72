package dev.lifespan.deploy;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A cert-manager {@code cert-manager.io/v1} Certificate, bound as strictly as the fabric8 model binds the built-in kinds.
 * fabric8 names a {@code certmanager-model} in its 8.0.0 BOM but does not publish it, so the fields and values the
 * cert-manager v1 API defines for a Certificate are written down here (the subset a Certificate for a workload uses;
 * a field outside it is refused, as with any other kind).
 */
// HasMetadata routes to fabric8's generic deserializer; this class binds itself, field by field.
@JsonDeserialize(using = ValueDeserializer.None.class)
final class CertManagerCertificate implements HasMetadata {

    static final Set<String> KEY_USAGES = Set.of("signing", "digital signature", "content commitment", "key encipherment",
            "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
            "server auth", "client auth", "code signing", "email protection", "s/mime", "ipsec end system",
            "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc");
    private static final Pattern GO_DURATION = Pattern.compile("([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+");

    private String apiVersion;
    private String kind;
    private ObjectMeta metadata;
    private Spec spec;

    /** {@code spec} of a Certificate. */
    record Spec(String secretName, SecretTemplate secretTemplate, String duration, String renewBefore,
                Integer renewBeforePercentage, String commonName, List<String> dnsNames, List<String> ipAddresses,
                List<String> uris, List<String> emailAddresses, Boolean isCA, List<String> usages, PrivateKey privateKey,
                IssuerRef issuerRef, Integer revisionHistoryLimit, Boolean encodeUsagesInRequest) {
    }

    /** Labels and annotations copied onto the Secret. */
    record SecretTemplate(Map<String, String> labels, Map<String, String> annotations) {
    }

    /** {@code spec.privateKey}. */
    record PrivateKey(String algorithm, Integer size, String encoding, String rotationPolicy) {
    }

    /** {@code spec.issuerRef}. */
    record IssuerRef(String name, String kind, String group) {
    }

    /** The value rules of the v1 API that a binding alone does not express. */
    void validate() {
        require(spec != null, "spec is required");
        require(notBlank(spec.secretName()), "spec.secretName is required");
        require(spec.issuerRef() != null && notBlank(spec.issuerRef().name()), "spec.issuerRef.name is required");
        require(spec.issuerRef().kind() == null || Set.of("Issuer", "ClusterIssuer").contains(spec.issuerRef().kind())
                || !"cert-manager.io".equals(spec.issuerRef().group()), "spec.issuerRef.kind must be Issuer or ClusterIssuer");
        require(notBlank(spec.commonName()) || (spec.dnsNames() != null && !spec.dnsNames().isEmpty())
                || spec.ipAddresses() != null || spec.uris() != null || spec.emailAddresses() != null,
                "a Certificate needs at least one of commonName, dnsNames, ipAddresses, uris, emailAddresses");
        for (String d : new String[] {spec.duration(), spec.renewBefore()}) {
            require(d == null || GO_DURATION.matcher(d).matches(), "'" + d + "' is not a Go duration (e.g. 2160h)");
        }
        if (spec.usages() != null) {
            for (String usage : spec.usages()) {
                require(KEY_USAGES.contains(usage), "spec.usages: '" + usage + "' is not a cert-manager key usage");
            }
        }
        PrivateKey key = spec.privateKey();
        if (key != null) {
            require(key.algorithm() == null || Set.of("RSA", "ECDSA", "Ed25519").contains(key.algorithm()),
                    "spec.privateKey.algorithm must be RSA, ECDSA or Ed25519");
            require(key.encoding() == null || Set.of("PKCS1", "PKCS8").contains(key.encoding()),
                    "spec.privateKey.encoding must be PKCS1 or PKCS8");
            require(key.rotationPolicy() == null || Set.of("Never", "Always").contains(key.rotationPolicy()),
                    "spec.privateKey.rotationPolicy must be Never or Always");
            require(!"ECDSA".equals(key.algorithm()) || key.size() == null || Set.of(256, 384, 521).contains(key.size()),
                    "spec.privateKey.size for ECDSA must be 256, 384 or 521");
        }
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    public Spec getSpec() {
        return spec;
    }

    public void setSpec(Spec spec) {
        this.spec = spec;
    }

    @Override
    public ObjectMeta getMetadata() {
        return metadata;
    }

    @Override
    public void setMetadata(ObjectMeta metadata) {
        this.metadata = metadata;
    }

    @Override
    public String getApiVersion() {
        return apiVersion;
    }

    @Override
    public void setApiVersion(String apiVersion) {
        this.apiVersion = apiVersion;
    }

    @Override
    public String getKind() {
        return kind;
    }

    public void setKind(String kind) {
        this.kind = kind;
    }

    @JsonIgnore
    @Override
    public String getPlural() {
        return "certificates";
    }

    @JsonIgnore
    @Override
    public String getSingular() {
        return "certificate";
    }
}
