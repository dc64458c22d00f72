package dev.lifespan.support.postgres;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Somewhere to run a statement: {@link BoundedPostgres} itself (each statement on a pooled connection of its own), or
 * the statements of one transaction ({@link BoundedPostgres#inTransactionAround}). Code that takes this runs the same
 * way inside a transaction or out of it, and each statement is bounded either way.
 */
public interface Statements {
    /** One prepared statement with its parameters. */
    Uni<RowSet<Row>> execute(String sql, Tuple parameters);

    /** One statement without parameters, sent as a simple query: DDL, advisory locks, transaction control. */
    Uni<RowSet<Row>> command(String sql);
}
