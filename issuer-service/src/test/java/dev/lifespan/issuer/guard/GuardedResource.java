package dev.lifespan.issuer.guard;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;

/** A test-only resource behind {@link GuardedBearerTokenFilter}: answers who the caller is. */
@Path("/test/guarded")
@Guarded
public class GuardedResource {

    @GET
    @Produces(MediaType.TEXT_PLAIN)
    public String whoAmI(@Context SecurityContext security) {
        return security.getUserPrincipal().getName() + " " + security.getAuthenticationScheme() + " "
                + security.isUserInRole(GuardedBearerTokenFilter.SCOPE);
    }
}
