package dev.lifespan.audit.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.Failures;
import dev.lifespan.support.error.ServiceException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every REST failure in the service's one error vocabulary: the status from {@link ErrorKind}, a JSON body
 * {@code {"error": "...", "error_description": "...", "field": "..."}}, {@code Retry-After} for outages. Never a stack trace.
 */
public class HttpErrors {
    private static final Logger LOG = Logger.getLogger(HttpErrors.class);
    private final ObjectMapper json;

    public HttpErrors(ObjectMapper json) {
        this.json = json;
    }

    @ServerExceptionMapper
    public Response map(Throwable failure) {
        if (failure instanceof WebApplicationException web && !(failure.getCause() instanceof ServiceException)) {
            return web.getResponse();
        }
        ServiceException error = Failures.classify(failure);
        if (error.kind() == ErrorKind.SERVER_ERROR) {
            LOG.error("Unexpected failure answering an HTTP request", failure);
        } else if (error.kind() == ErrorKind.UNAVAILABLE) {
            LOG.warnf("Dependency unavailable: %s", String.valueOf(failure.getMessage()));
        }
        ObjectNode body = json.createObjectNode();
        body.put("error", error.kind().oauthCode());
        body.put("error_description", error.getMessage());
        if (error.field() != null) {
            body.put("field", error.field());
        }
        Response.ResponseBuilder response = Response.status(error.kind().httpStatus()).type(MediaType.APPLICATION_JSON_TYPE)
                .header("Cache-Control", "no-store").entity(body.toString());
        if (error.retryAfter() != null) {
            response.header("Retry-After", Math.max(1, error.retryAfter().toSeconds()));
        }
        return response.build();
    }
}
