package dev.lifespan.support.input;

import com.google.protobuf.Timestamp;
import dev.lifespan.support.error.ServiceException;

import java.time.Instant;

/**
 * The one conversion between {@link Instant} and {@code google.protobuf.Timestamp} for every service. Input
 * times are checked as the Timestamp type defines them: seconds from 0001-01-01 to 9999-12-31 and nanos in
 * 0–999,999,999; Lifespan further refuses times before 1970, which no token can carry.
 */
public final class ProtoTime {
    /** 9999-12-31T23:59:59Z. */
    public static final long MAX_EPOCH_SECOND = 253_402_300_799L;

    private ProtoTime() {
    }

    public static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    /** An input time, or null when the field is unset; INVALID_ARGUMENT naming the field when it is not a valid time. */
    public static Instant instant(String field, boolean present, Timestamp timestamp) {
        if (!present) {
            return null;
        }
        if (timestamp.getSeconds() < 0 || timestamp.getSeconds() > MAX_EPOCH_SECOND) {
            throw ServiceException.invalidField(field, "is not a valid time: seconds must be between 0 (1970) and "
                    + MAX_EPOCH_SECOND + " (9999)");
        }
        if (timestamp.getNanos() < 0 || timestamp.getNanos() > 999_999_999) {
            throw ServiceException.invalidField(field, "is not a valid time: nanos must be between 0 and 999999999");
        }
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }
}
