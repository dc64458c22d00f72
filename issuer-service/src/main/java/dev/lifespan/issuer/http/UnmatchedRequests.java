package dev.lifespan.issuer.http;

import dev.lifespan.support.input.Inputs;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Requests RESTEasy refuses before an endpoint runs answered with a body saying why, as OAuth clients read errors
 * (RFC 6749 section 5.2), instead of an empty 415 or 405: a JSON body posted to {@code /oauth2/token}, or a GET of it.
 * A 405 names the methods the path takes in {@code Allow} (RFC 9110 section 15.5.6), read from the resources' own
 * annotations, since RESTEasy's exception does not carry them.
 */
public class UnmatchedRequests {
    /** Every REST resource of the issuer ({@code ArchitectureTest} checks that none is missing). */
    public static final List<Class<?>> RESOURCES = List.of(TokenResource.class, IntrospectionResource.class, RevocationResource.class,
            WellKnownResource.class);
    /** Path to the methods it takes, e.g. {@code /oauth2/token -> [POST]}. */
    static final Map<String, Set<String>> ALLOWED = allowed(RESOURCES);

    /** A Content-Type quoted back is cut to this many characters. */
    static final int MAX_SHOWN = 60;

    @ServerExceptionMapper
    public Response notSupported(NotSupportedException refused, HttpHeaders headers) {
        String given = headers.getHeaderString(HttpHeaders.CONTENT_TYPE);
        String shown = given == null || given.isBlank() ? "no Content-Type" : "Content-Type " + Inputs.shown(given, MAX_SHOWN);
        return OAuthErrors.invalidRequest(415, shown + " is not accepted here; send the parameters as application/x-www-form-urlencoded")
                .build();
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException refused, Request request, UriInfo uri) {
        Set<String> allowed = ALLOWED.getOrDefault(normalized(uri.getPath()), Set.of());
        Response.ResponseBuilder response = OAuthErrors.invalidRequest(405, Inputs.shown(request.getMethod(), MAX_SHOWN) + " is not accepted here"
                + (allowed.isEmpty() ? "" : "; use " + String.join(" or ", allowed)));
        return (allowed.isEmpty() ? response : response.allow(allowed)).build();
    }

    static Map<String, Set<String>> allowed(List<Class<?>> resources) {
        Map<String, Set<String>> allowed = new TreeMap<>();
        for (Class<?> resource : resources) {
            String base = resource.getAnnotation(Path.class).value();
            for (Method method : resource.getDeclaredMethods()) {
                Path sub = method.getAnnotation(Path.class);
                for (Annotation a : method.getAnnotations()) {
                    HttpMethod http = a.annotationType().getAnnotation(HttpMethod.class);
                    if (http != null) {
                        allowed.computeIfAbsent(normalized(base + (sub == null ? "" : "/" + sub.value())), p -> new TreeSet<>()).add(http.value());
                    }
                }
            }
        }
        allowed.replaceAll((path, methods) -> Set.copyOf(methods));
        return Map.copyOf(allowed);
    }

    private static String normalized(String path) {
        String p = ("/" + path).replaceAll("/{2,}", "/");
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
