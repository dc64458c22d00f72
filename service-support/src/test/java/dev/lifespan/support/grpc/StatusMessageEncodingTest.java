package dev.lifespan.support.grpc;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The gRPC spec's Percent-Encoded: printable ASCII except '%' as it is, every other byte of the UTF-8 as %XX. */
class StatusMessageEncodingTest {

    @Test
    void printableAsciiIncludingUriReservedCharactersIsSentAsItIs() {
        assertThat(StatusMessageEncoding.encode("acr is x, not one of [mfa, pwd]: see /docs?a=b&c#d"))
                .isEqualTo("acr is x, not one of [mfa, pwd]: see /docs?a=b&c#d");
    }

    @Test
    void percentAndEveryNonAsciiOrControlByteIsEscaped() {
        assertThat(StatusMessageEncoding.encode("100% sûr\n")).isEqualTo("100%25 s%C3%BBr%0A");
    }
}
