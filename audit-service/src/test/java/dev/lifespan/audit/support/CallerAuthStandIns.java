package dev.lifespan.audit.support;

import java.util.HashMap;
import java.util.Map;

/**
 * An application start with caller authentication on, against stand-ins for the issuer (JWKS, token endpoint) and the
 * revocation service (feed, rule recorder), both injected into {@link InjectStandIn} fields. Subclasses add settings
 * through {@link #more()}.
 */
public class CallerAuthStandIns extends AuditTestResource {
    protected IssuerStandIn issuer;
    protected RecordingRevocationService revocation;

    @Override
    protected final Map<String, String> extra() {
        issuer = new IssuerStandIn();
        revocation = new RecordingRevocationService();
        Map<String, String> config = new HashMap<>();
        config.put("lifespan.audit.caller-auth.enabled", "true");
        config.put("lifespan.audit.caller-auth.issuer", IssuerStandIn.ISSUER);
        config.put("lifespan.audit.caller-auth.jwks-url", issuer.baseUrl() + "/.well-known/jwks.json");
        config.put("lifespan.audit.revocation.target", revocation.target());
        // The stand-in publishes no heartbeats: keep its (empty) feed fresh for the length of the test.
        config.put("lifespan.audit.caller-auth.max-staleness", "1h");
        config.put("lifespan.audit.caller-auth.feed-outage-tolerance", "1h");
        config.putAll(more());
        return config;
    }

    /** More settings of this kind of application start; {@link #issuer} and {@link #revocation} are running. */
    protected Map<String, String> more() {
        return Map.of();
    }

    @Override
    public void inject(TestInjector testInjector) {
        super.inject(testInjector);
        testInjector.injectIntoFields(issuer, new TestInjector.AnnotatedAndMatchesType(InjectStandIn.class, IssuerStandIn.class));
        testInjector.injectIntoFields(revocation, new TestInjector.AnnotatedAndMatchesType(InjectStandIn.class, RecordingRevocationService.class));
    }

    @Override
    public void stop() {
        issuer.close();
        revocation.close();
        super.stop();
    }
}
