package dev.lifespan.issuer.support;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.support.audit.AuditOutboxConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** The shipped application.properties (test profile) plus overrides, mapped without starting Quarkus. */
public final class TestConfigs {
    private TestConfigs() {
    }

    public static LifespanConfig shippedWith(Map<String, String> overrides) {
        Properties shipped = new Properties();
        try (InputStream in = TestConfigs.class.getResourceAsStream("/application.properties")) {
            shipped.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> values = new HashMap<>();
        shipped.forEach((k, v) -> values.put((String) k, (String) v));
        values.put("lifespan.master-key", "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=");
        values.putAll(overrides);
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withProfile("test")
                .withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(LifespanConfig.class)
                .withMapping(AuditOutboxConfig.class) // also in application.properties: the shipped values must bind
                .withSources(new PropertiesConfigSource(values, "test", 300))
                .build();
        return config.getConfigMapping(LifespanConfig.class);
    }
}
