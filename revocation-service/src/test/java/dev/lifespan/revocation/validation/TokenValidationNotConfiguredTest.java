package dev.lifespan.revocation.validation;

import dev.lifespan.api.v1.ValidateRequest;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.RevocationTestResource;
import io.grpc.Status;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasItem;

/** Without an issuer and JWKS URL (the other tests' configuration), nothing starts and Validate says so. */
@QuarkusTest
@WithTestResource(RevocationTestResource.class)
class TokenValidationNotConfiguredTest {

    @Test
    void unconfiguredValidationIsAFailedPreconditionAndStaysReady() {
        var e = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> Grpc.tokenValidation()
                .validate(ValidateRequest.newBuilder().setToken("a.b.c").setExpectedAudience("orders-api").build()));
        assertThat(e.getStatus().getDescription()).contains("token validation is not configured");

        RestAssured.given().get("/q/health/ready").then().statusCode(200)
                .body("checks.name", hasItem("revocation-feed"));
    }
}
