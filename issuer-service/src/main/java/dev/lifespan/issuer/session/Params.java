package dev.lifespan.issuer.session;

import io.vertx.mutiny.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/** Collects statement parameters while SQL is written: {@code p(value)} returns its {@code $n} placeholder. */
final class Params {
    private final List<Object> values = new ArrayList<>();

    String p(Object value) {
        values.add(value);
        return "$" + values.size();
    }

    Tuple tuple() {
        return Tuple.from(values);
    }
}
