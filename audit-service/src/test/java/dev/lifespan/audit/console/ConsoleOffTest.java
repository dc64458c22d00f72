package dev.lifespan.audit.console;

import dev.lifespan.audit.support.AuditTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;

/** With the console turned off, nothing of it is served: not its API, and not its page or files either. */
@QuarkusTest
@WithTestResource(ConsoleOffTest.Off.class)
class ConsoleOffTest {
    public static class Off extends AuditTestResource {
        @Override
        protected Map<String, String> extra() {
            return Map.of("lifespan.audit.console.enabled", "false");
        }
    }

    @Test
    void thePageItsFilesAndItsApiAnswer404() {
        for (String path : new String[] {"/console", "/console/", "/console/index.html", "/console/console.js", "/console/api/session"}) {
            given().redirects().follow(false).when().get(path).then().statusCode(404)
                    .body("error", equalTo("not_found"))
                    .body("error_description", containsString("lifespan.audit.console.enabled"));
        }
        given().contentType("application/json").body("{}").when().post("/console/api/sign-in").then().statusCode(404);
    }

    @Test
    void theRestOfTheServiceIsServed() {
        given().when().get("/audit/events").then().statusCode(not(404));
    }
}
