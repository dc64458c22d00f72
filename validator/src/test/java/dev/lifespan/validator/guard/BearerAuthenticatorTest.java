package dev.lifespan.validator.guard;

import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.validator.RevocationCheck;
import dev.lifespan.validator.jose.Base64Url;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 6750 answers of the framework-free authenticator every HTTP filter and gRPC interceptor uses. */
class BearerAuthenticatorTest {
    private final GuardTokens tokens = new GuardTokens();
    private final BearerAuthenticator authenticator = new BearerAuthenticator(tokens.validator((claims, now) ->
            "sid-revoked".equals(claims.sessionId()) ? Optional.of(ValidationFailure.REVOKED_SESSION) : Optional.empty()));

    BearerAuthenticatorTest() throws Exception {
    }

    @Test
    void validTokenAuthenticatesTheCaller() throws Exception {
        Authentication a = authenticator.authenticate("Bearer " + tokens.token(GuardTokens.claims()), "api", "api.read");

        assertThat(a.isAuthenticated()).isTrue();
        assertThat(a.claims().subject()).isEqualTo("alice");
        assertThat(a.httpStatus()).isEqualTo(200);
        assertThat(a.wwwAuthenticate()).isNull();
    }

    @Test
    void schemeIsCaseInsensitiveAndSpacesAroundTheTokenAreAllowed() throws Exception {
        Authentication a = authenticator.authenticate("  bEaReR   " + tokens.token(GuardTokens.claims()) + " ", "api");

        assertThat(a.isAuthenticated()).isTrue();
    }

    @Test
    void missingHeaderGets401WithBareBearerChallenge() {
        for (String header : new String[] {null, "", "   "}) {
            Authentication a = authenticator.authenticate(header, "api");

            assertThat(a.outcome()).isEqualTo(Authentication.Outcome.MISSING_CREDENTIALS);
            assertThat(a.httpStatus()).isEqualTo(401);
            assertThat(a.wwwAuthenticate()).isEqualTo("Bearer realm=\"lifespan\"");
            assertThat(a.claims()).isNull();
        }
    }

    @Test
    void expiredTokenGets401WithInvalidTokenAndReason() throws Exception {
        Map<String, Object> claims = GuardTokens.claims();
        claims.put("iat", GuardTokens.NOW.getEpochSecond() - 1000);
        claims.put("exp", GuardTokens.NOW.getEpochSecond() - 100);

        Authentication a = authenticator.authenticate("Bearer " + tokens.token(claims), "api");

        assertThat(a.failure()).isEqualTo(ValidationFailure.EXPIRED);
        assertThat(a.httpStatus()).isEqualTo(401);
        assertThat(a.wwwAuthenticate())
                .isEqualTo("Bearer realm=\"lifespan\", error=\"invalid_token\", error_description=\"token has expired\"");
        assertThat(a.reason()).isEqualTo("EXPIRED: token has expired");
    }

    @Test
    void revokedTokenReasonIsInTheDescription() throws Exception {
        Map<String, Object> claims = GuardTokens.claims();
        claims.put("sid", "sid-revoked");

        Authentication a = authenticator.authenticate("Bearer " + tokens.token(claims), "api");

        assertThat(a.failure()).isEqualTo(ValidationFailure.REVOKED_SESSION);
        assertThat(a.httpStatus()).isEqualTo(401);
        assertThat(a.wwwAuthenticate()).isEqualTo(
                "Bearer realm=\"lifespan\", error=\"invalid_token\", error_description=\"the token's session has been revoked\"");
        assertThat(a.reason()).isEqualTo("REVOKED_SESSION: the token's session has been revoked");
    }

    @Test
    void tokenForAnotherAudienceIsInvalid() throws Exception {
        Authentication a = authenticator.authenticate("Bearer " + tokens.token(GuardTokens.claims()), "billing");

        assertThat(a.failure()).isEqualTo(ValidationFailure.WRONG_AUDIENCE);
        assertThat(a.httpStatus()).isEqualTo(401);
    }

    @Test
    void insufficientScopeGets403() throws Exception {
        Authentication a = authenticator.authenticate("Bearer " + tokens.token(GuardTokens.claims()), "api", "api.write");

        assertThat(a.outcome()).isEqualTo(Authentication.Outcome.INSUFFICIENT_SCOPE);
        assertThat(a.httpStatus()).isEqualTo(403);
        assertThat(a.wwwAuthenticate()).isEqualTo("Bearer realm=\"lifespan\", error=\"insufficient_scope\", scope=\"api.write\"");
        assertThat(a.claims()).isNull();
        assertThat(a.reason()).isEqualTo("INSUFFICIENT_SCOPE: scope api.write is required");
    }

    @Test
    void nonBearerSchemeIsRefused() throws Exception {
        String token = tokens.token(GuardTokens.claims());
        for (String header : List.of("Basic " + Base64Url.encode("web-app:secret".getBytes(StandardCharsets.UTF_8)),
                "Token " + token, "Bearer" + token, token)) {
            Authentication a = authenticator.authenticate(header, "api");

            // RFC 6750 §3.1: an unsupported method is answered like no credentials, without an error code.
            assertThat(a.outcome()).as(header).isEqualTo(Authentication.Outcome.MISSING_CREDENTIALS);
            assertThat(a.httpStatus()).isEqualTo(401);
            assertThat(a.wwwAuthenticate()).isEqualTo("Bearer realm=\"lifespan\"");
        }
    }

    @Test
    void malformedBearerHeaderIsAnInvalidTokenNotABadRequest() throws Exception {
        String token = tokens.token(GuardTokens.claims());
        for (String header : List.of("Bearer", "Bearer ", "Bearer " + token + " " + token, "Bearer " + token + "," + token,
                "Bearer \"" + token + "\"", "Bearer\t" + token, "Bearer =abc", "Bearer " + token + "=x")) {
            Authentication a = authenticator.authenticate(header, "api");

            assertThat(a.failure()).as(header).isEqualTo(ValidationFailure.MALFORMED);
            assertThat(a.httpStatus()).isEqualTo(401);
            assertThat(a.wwwAuthenticate()).startsWith("Bearer realm=\"lifespan\", error=\"invalid_token\", error_description=\"");
        }
    }

    @Test
    void descriptionNeverContainsTheToken() throws Exception {
        Map<String, Object> expired = GuardTokens.claims();
        expired.put("exp", GuardTokens.NOW.getEpochSecond() - 100);
        String good = tokens.token(GuardTokens.claims());
        String badSignature = good.substring(0, good.lastIndexOf('.') + 1) + "A" + good.substring(good.lastIndexOf('.') + 2);
        String payload = good.split("\\.")[1];
        // The validator echoes an unknown alg; a caller can make it hold quotes, backslashes, CR/LF or its own payload.
        String quotingAlg = tokens.sign(Map.of("alg", "x\"y\\z\r\nSet-Cookie: a=b", "kid", GuardTokens.KID, "typ", "at+jwt"),
                GuardTokens.claims());
        String payloadAlg = tokens.sign(Map.of("alg", payload, "kid", GuardTokens.KID, "typ", "at+jwt"), GuardTokens.claims());

        for (String token : List.of(tokens.token(expired), badSignature, quotingAlg, payloadAlg, good)) {
            for (String audience : List.of("api", "billing")) {
                Authentication a = authenticator.authenticate("Bearer " + token, audience);
                if (a.isAuthenticated()) {
                    continue;
                }
                String description = a.description();
                assertThat(description).as(a.reason()).doesNotContain("\"", "\\", "\r", "\n").hasSizeLessThanOrEqualTo(200);
                assertThat(a.wwwAuthenticate()).doesNotContain(token);
                for (String segment : token.split("\\.")) {
                    assertThat(a.wwwAuthenticate()).doesNotContain(segment);
                    assertThat(a.reason()).doesNotContain(segment);
                }
                assertThat(a.wwwAuthenticate()).matches("Bearer realm=\"lifespan\", error=\"invalid_token\", error_description=\"[^\"\\\\]*\"");
            }
        }
        assertThat(authenticator.authenticate("Bearer " + payloadAlg, "api").description()).isEqualTo("alg not allowed");
        assertThat(authenticator.authenticate("Bearer " + quotingAlg, "api").description())
                .isEqualTo("alg x?y?z??Set-Cookie: a=b is not allowed");
    }

    @Test
    void revocationCheckNoneLetsAValidTokenThrough() throws Exception {
        BearerAuthenticator open = new BearerAuthenticator(tokens.validator(RevocationCheck.NONE));
        Map<String, Object> claims = GuardTokens.claims();
        claims.put("sid", "sid-revoked");

        assertThat(open.authenticate("Bearer " + tokens.token(claims), "api").isAuthenticated()).isTrue();
    }
}
