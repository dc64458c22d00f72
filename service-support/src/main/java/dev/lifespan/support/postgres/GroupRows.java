package dev.lifespan.support.postgres;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A {@link StatementGroup}'s calls as rows in SQL: one array parameter per column, one element per call, unnested
 * side by side and numbered {@code n} from 1 in the group's order.
 *
 * <p>The relation ends in {@code LIMIT} the group's size, which changes no result, only the plan. PostgreSQL keeps one
 * plan for a prepared statement unless the plans it makes for each execution's own values look cheaper, and it
 * estimates the unnest of an array parameter at ten rows in the kept plan but at its true length in the others: so a
 * group statement was planned again on every execution (measured: 0.6 ms of PostgreSQL's CPU per rotation, twice the
 * rotation itself). Under a {@code LIMIT} parameter the kept plan estimates one row, is the cheaper one, and is used.
 */
public final class GroupRows {

    private GroupRows() {
    }

    /**
     * {@code (SELECT * FROM unnest($first::type[], ...) WITH ORDINALITY AS alias(name, ..., n) LIMIT $k) alias}, for a
     * {@code FROM} clause; {@code columns} as {@code "name type"}; {@code $k} follows the arrays.
     */
    public static String from(String alias, int first, String... columns) {
        String arrays = IntStream.range(0, columns.length).mapToObj(i -> "$" + (first + i) + "::" + type(columns[i]) + "[]")
                .collect(Collectors.joining(", "));
        String names = Arrays.stream(columns).map(GroupRows::name).collect(Collectors.joining(", "));
        return "(SELECT * FROM unnest(" + arrays + ") WITH ORDINALITY AS " + alias + "(" + names + ", n) LIMIT $" + (first + columns.length)
                + ") " + alias;
    }

    /** The parameters for {@link #from}: the arrays, in its columns' order, then the group's size. */
    public static List<Object> parameters(Object... arrays) {
        List<Object> parameters = new ArrayList<>(Arrays.asList(arrays));
        parameters.add((long) Array.getLength(arrays[0]));
        return parameters;
    }

    private static String name(String column) {
        return column.substring(0, column.indexOf(' '));
    }

    private static String type(String column) {
        return column.substring(column.indexOf(' ') + 1);
    }
}
