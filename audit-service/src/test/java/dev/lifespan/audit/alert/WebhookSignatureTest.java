package dev.lifespan.audit.alert;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class WebhookSignatureTest {
    @Test
    void headerIsTimestampAndHmacOverTimestampDotBody() {
        byte[] body = "{\"alert_id\":\"1\"}".getBytes(StandardCharsets.UTF_8);

        String header = WebhookSignature.header("0123456789abcdef0123456789abcdef", 1740823200L, body);

        // Independently: printf '1740823200.{"alert_id":"1"}' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
        assertThat(header).isEqualTo("t=1740823200,v1=6e1a7d5092273f295e840215c0e0115dea201d823bf767d53ad2f09ee28179f3");
        assertThat(WebhookSignature.hmac("another-secret-another-secret-00", 1740823200L, body))
                .isNotEqualTo(WebhookSignature.hmac("0123456789abcdef0123456789abcdef", 1740823200L, body));
        assertThat(WebhookSignature.hmac("0123456789abcdef0123456789abcdef", 1740823201L, body))
                .isNotEqualTo(WebhookSignature.hmac("0123456789abcdef0123456789abcdef", 1740823200L, body));
    }

    @Test
    void backoffDoublesUpToTheMaximum() {
        Duration initial = Duration.ofSeconds(1);
        Duration max = Duration.ofMinutes(5);

        assertThat(WebhookSignature.backoff(1, initial, max)).isEqualTo(Duration.ofSeconds(1));
        assertThat(WebhookSignature.backoff(2, initial, max)).isEqualTo(Duration.ofSeconds(2));
        assertThat(WebhookSignature.backoff(5, initial, max)).isEqualTo(Duration.ofSeconds(16));
        assertThat(WebhookSignature.backoff(9, initial, max)).isEqualTo(Duration.ofSeconds(256));
        assertThat(WebhookSignature.backoff(10, initial, max)).isEqualTo(Duration.ofMinutes(5));
        assertThat(WebhookSignature.backoff(60, initial, max)).isEqualTo(Duration.ofMinutes(5));
    }
}
