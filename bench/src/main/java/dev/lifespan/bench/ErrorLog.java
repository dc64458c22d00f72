package dev.lifespan.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Counts failed calls by their description, keeping the first few distinct descriptions in order of appearance. */
final class ErrorLog {

    static final int MAX_DISTINCT = 20;
    static final int MAX_LENGTH = 200;

    private final Map<String, Long> counts = new LinkedHashMap<>();
    private long dropped;

    /** Records one failure. Descriptions are cut to {@value #MAX_LENGTH} characters. */
    synchronized void add(String description) {
        String key = description.length() > MAX_LENGTH ? description.substring(0, MAX_LENGTH) + "..." : description;
        key = key.replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
        if (counts.containsKey(key) || counts.size() < MAX_DISTINCT) {
            counts.merge(key, 1L, Long::sum);
        } else {
            dropped++;
        }
    }

    /** The first {@code limit} distinct failures with their counts. */
    synchronized List<Map.Entry<String, Long>> first(int limit) {
        return counts.entrySet().stream().limit(limit).map(e -> Map.entry(e.getKey(), e.getValue())).toList();
    }

    /** Failures not kept because {@value #MAX_DISTINCT} distinct ones were already recorded. */
    synchronized long dropped() {
        return dropped;
    }

    synchronized boolean isEmpty() {
        return counts.isEmpty();
    }
}
