package dev.lifespan.issuer.grpc;

import com.google.protobuf.Timestamp;

import java.time.Instant;

/** Conversions between {@link Instant} and protobuf {@link Timestamp}. */
public final class ProtoTime {
    private ProtoTime() {
    }

    public static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    /** Null when the field is unset. */
    public static Instant instant(boolean present, Timestamp timestamp) {
        return present ? Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos()) : null;
    }
}
