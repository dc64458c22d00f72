package dev.lifespan.audit.support;

import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.WatchAlertsRequest;
import dev.lifespan.api.v1.WatchAlertsResponse;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;


/** An open WatchAlerts stream: every alert received, with when it arrived. Close it to cancel the call. */
public final class AlertWatch implements AutoCloseable {
    /** An alert and the moment this client received it. */
    public record Received(Alert alert, Instant at) {
    }

    private final Context.CancellableContext context = Context.current().withCancellation();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();

    private AlertWatch() {
    }

    public static AlertWatch open(WatchAlertsRequest request) {
        AlertWatch watch = new AlertWatch();
        watch.context.run(() -> Grpc.auditAsync().watchAlerts(request, new StreamObserver<>() {
            @Override
            public void onNext(WatchAlertsResponse value) {
                watch.received.add(new Received(value.getAlert(), Instant.now()));
            }

            @Override
            public void onError(Throwable t) {
                watch.errors.add(t);
            }

            @Override
            public void onCompleted() {
            }
        }));
        return watch;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public List<Throwable> errors() {
        return List.copyOf(errors);
    }

    /** Waits (at most {@code atMost}) for an alert matching {@code which}. */
    public Received await(Predicate<Alert> which, Duration atMost) {
        org.awaitility.Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(10)).until(() -> received.stream().anyMatch(r -> which.test(r.alert())));
        return received.stream().filter(r -> which.test(r.alert())).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        context.cancel(null);
    }
}
