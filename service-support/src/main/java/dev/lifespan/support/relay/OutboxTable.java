package dev.lifespan.support.relay;

import dev.lifespan.support.postgres.Statements;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * The statements a {@link Relay} runs on an outbox table, written once for every outbox: rows waiting (neither delivered
 * nor refused), oldest first, taken {@code FOR UPDATE SKIP LOCKED}; marking them delivered; setting aside a refused
 * one; the backlog; pruning delivered rows, oldest delivery first. A table describes its columns; a subclass reads a
 * row and names its key.
 *
 * @param <T> one row as the relay sends it
 * @param <K> the key column's Java type, as bound in a statement
 */
public abstract class OutboxTable<T, K> implements Relay.Outbox<T> {
    /**
     * How one outbox table is laid out.
     *
     * @param table     the table
     * @param key       its primary key column
     * @param columns   the columns {@link #read} needs
     * @param order     the order rows are delivered in ("oldest first")
     * @param delivered the column set when a row is delivered (null while waiting)
     * @param written   the column holding when a row was written (the backlog's age)
     */
    public record Layout(String table, String key, String columns, String order, String delivered, String written) {
    }

    /** Not delivered and not set aside: what the relay still has to send. */
    private static final String WAITING = "%s IS NULL AND refused IS NULL";

    private final String take;
    private final String markDelivered;
    private final String markRefused;
    private final String backlog;
    private final String prune;
    private final String redeliver;
    private final IntFunction<K[]> keyArray;

    protected OutboxTable(Layout layout, IntFunction<K[]> keyArray) {
        String waiting = WAITING.formatted(layout.delivered());
        this.take = "SELECT " + layout.columns() + " FROM " + layout.table() + " WHERE " + waiting
                + " ORDER BY " + layout.order() + " LIMIT $1 FOR UPDATE SKIP LOCKED";
        this.markDelivered = "UPDATE " + layout.table() + " SET " + layout.delivered() + " = $2 WHERE " + layout.key() + " = ANY($1)";
        this.markRefused = "UPDATE " + layout.table() + " SET refused = $2 WHERE " + layout.key() + " = $1";
        this.backlog = "SELECT (SELECT count(*) FROM (SELECT 1 FROM " + layout.table() + " WHERE " + waiting + " LIMIT $1) counted) AS waiting,"
                + " (SELECT min(" + layout.written() + ") FROM " + layout.table() + " WHERE " + waiting + ") AS oldest,"
                + " (SELECT count(*) FROM " + layout.table() + " WHERE refused IS NOT NULL) AS refused";
        this.prune = "DELETE FROM " + layout.table() + " WHERE " + layout.key() + " IN (SELECT " + layout.key() + " FROM " + layout.table()
                + " WHERE " + layout.delivered() + " < $1 ORDER BY " + layout.delivered() + " LIMIT $2)";
        this.redeliver = "UPDATE " + layout.table() + " SET " + layout.delivered() + " = NULL WHERE " + layout.delivered() + " >= $1";
        this.keyArray = keyArray;
    }

    /** One taken row as the relay sends it. */
    protected abstract T read(Row row);

    /** A row's key, as bound in a statement. */
    protected abstract K key(T row);

    @Override
    public final Uni<List<T>> take(Statements tx, int max) {
        return tx.execute(take, Tuple.of(max)).map(rows -> {
            List<T> taken = new ArrayList<>(rows.size());
            for (Row row : rows) {
                taken.add(read(row));
            }
            return taken;
        });
    }

    @Override
    public final Uni<Void> markDelivered(Statements tx, List<T> rows, Instant now) {
        K[] keys = keyArray.apply(rows.size());
        for (int i = 0; i < keys.length; i++) {
            keys[i] = key(rows.get(i));
        }
        return tx.execute(markDelivered, Tuple.of(keys, utc(now))).replaceWithVoid();
    }

    @Override
    public final Uni<Void> markRefused(Statements tx, T row, String reason) {
        return tx.execute(markRefused, Tuple.of(key(row), reason)).replaceWithVoid();
    }

    @Override
    public final Uni<Relay.Backlog> backlog(Statements db, long limit) {
        return db.execute(backlog, Tuple.of(limit)).map(rows -> {
            Row row = rows.iterator().next();
            OffsetDateTime oldest = row.getOffsetDateTime("oldest");
            return new Relay.Backlog(row.getLong("waiting"), oldest == null ? null : oldest.toInstant(), row.getLong("refused"));
        });
    }

    @Override
    public final Uni<Integer> redeliver(Statements db, Instant since) {
        return db.execute(redeliver, Tuple.of(utc(since))).map(rows -> rows.rowCount());
    }

    @Override
    public final Uni<Integer> prune(Statements db, Instant before, int max) {
        return db.execute(prune, Tuple.of(utc(before), max)).map(rows -> rows.rowCount());
    }
}
