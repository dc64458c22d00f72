package dev.lifespan.audit.alert;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * How a webhook receiver knows an alert came from this audit service, and how long to wait before retrying. Pure.
 *
 * <p>Header {@value #HEADER}: {@code t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>}. The receiver
 * recomputes the HMAC over the timestamp, a dot and the raw body bytes, compares in constant time, and refuses
 * timestamps too far from its clock (replays). The alert id is in {@code X-Lifespan-Alert-Id}: a retried delivery
 * carries the same id, so a receiver can drop repeats.
 */
public final class WebhookSignature {
    public static final String HEADER = "X-Lifespan-Signature";
    public static final String ALERT_ID_HEADER = "X-Lifespan-Alert-Id";
    public static final String ATTEMPT_HEADER = "X-Lifespan-Delivery-Attempt";

    private WebhookSignature() {
    }

    /** The header value for {@code body} sent at {@code epochSeconds}. */
    public static String header(String secret, long epochSeconds, byte[] body) {
        return "t=" + epochSeconds + ",v1=" + hmac(secret, epochSeconds, body);
    }

    /** Lowercase hex HMAC-SHA256 over {@code "<epochSeconds>." + body}. */
    public static String hmac(String secret, long epochSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((epochSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** The wait after the {@code failures}-th failed attempt: {@code initial}, doubled each time, at most {@code max}. */
    public static Duration backoff(int failures, Duration initial, Duration max) {
        if (failures <= 1) {
            return initial.compareTo(max) > 0 ? max : initial;
        }
        int doublings = Math.min(failures - 1, 30);
        Duration delay = initial.multipliedBy(1L << doublings);
        return delay.compareTo(max) > 0 || delay.isNegative() ? max : delay;
    }
}
