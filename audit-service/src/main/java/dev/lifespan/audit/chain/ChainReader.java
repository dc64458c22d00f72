package dev.lifespan.audit.chain;

import dev.lifespan.audit.event.EventStore;
import dev.lifespan.audit.verifier.AuditRecord;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** Reads stored rows in chain order, page by page, with constant memory: for VerifyChain and exports. */
@Singleton
public class ChainReader {
    static final int PAGE = 5000;

    private final EventStore store;

    public ChainReader(EventStore store) {
        this.store = store;
    }

    /** Pages of rows with sequences in [from, to], in chain order; hand-inserted rows sharing a sequence are all included. */
    public Multi<List<AuditRecord>> pages(long from, long to) {
        AtomicReference<EventStore.Position> position = new AtomicReference<>(EventStore.Position.before(from));
        return Multi.createBy().repeating()
                .uni(() -> position, at -> store.page(at.get(), to, PAGE).invoke(page -> {
                    if (!page.isEmpty()) {
                        at.set(EventStore.Position.after(page.get(page.size() - 1)));
                    }
                }))
                .until(List::isEmpty);
    }
}
