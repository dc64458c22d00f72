package dev.lifespan.audit.http;

import dev.lifespan.audit.event.InvalidInput;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every REST endpoint of this service (the {@code /audit} API and the console's) takes exactly the query parameters its
 * method declares with {@code @QueryParam}, each once unless the method takes a list ({@code type}). Anything else is
 * refused with 400, naming the parameter, rather than ignored: a mistyped filter ({@code subjet=alice}) would otherwise
 * answer with every subject's events as though they matched, and {@code limit=5&limit=500} would pick one silently.
 * (The issuer's OAuth endpoints are the other way round: RFC 6749 asks them to ignore parameters they do not know.)
 */
public class QueryParameters {
    /** A parameter name quoted in an error is cut to this many characters. */
    static final int MAX_NAME_SHOWN = 40;

    /** Per resource method: each parameter it takes, and whether it may be repeated. */
    private final Map<Method, Map<String, Boolean>> taken = new ConcurrentHashMap<>();

    @ServerRequestFilter
    public void check(UriInfo uri, ResourceInfo resource) {
        MultivaluedMap<String, String> given = uri.getQueryParameters();
        if (given.isEmpty()) {
            return;
        }
        Map<String, Boolean> accepted = taken.computeIfAbsent(resource.getResourceMethod(), QueryParameters::declared);
        for (Map.Entry<String, List<String>> parameter : given.entrySet()) {
            String name = parameter.getKey();
            Boolean repeatable = accepted.get(name);
            if (repeatable == null) {
                String shown = dev.lifespan.support.input.Inputs.shown(name, MAX_NAME_SHOWN);
                throw new InvalidInput(shown, shown + " is not a parameter of this endpoint; it takes "
                        + (accepted.isEmpty() ? "none" : String.join(", ", accepted.keySet())));
            }
            if (!repeatable && parameter.getValue().size() > 1) {
                throw new InvalidInput(name, name + " is given " + parameter.getValue().size() + " times; it is taken once");
            }
        }
    }

    private static Map<String, Boolean> declared(Method method) {
        Map<String, Boolean> names = new TreeMap<>();
        for (Parameter p : method.getParameters()) {
            QueryParam query = p.getAnnotation(QueryParam.class);
            if (query != null) {
                names.put(query.value(), Collection.class.isAssignableFrom(p.getType()));
            }
        }
        return Collections.unmodifiableMap(names); // sorted: the error lists them in order
    }
}
