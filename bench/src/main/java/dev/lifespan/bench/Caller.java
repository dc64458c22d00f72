package dev.lifespan.bench;

import java.util.function.Consumer;

/**
 * One simulated client with at most one request in flight. Calls are asynchronous: {@code done} receives null on
 * success or a short description of the failure, usually on a network thread. A caller's methods are never run
 * concurrently with each other, but may run on different threads one after another.
 */
interface Caller {

    /**
     * Gets ready for {@link #call} (for refresh modes: starts a session of its own with {@code IssueTokens}). Not
     * measured. Run before the load starts and again after a failed call, since a failed refresh leaves the chain in
     * an unknown state and presenting the same refresh token again could be taken for reuse.
     */
    default void prepare(Consumer<String> done) {
        done.accept(null);
    }

    /** True if {@link #prepare} must run before the next {@link #call}. */
    default boolean needsPrepare() {
        return false;
    }

    /** Makes one measured request; {@code done} gets null if it succeeded with every token expected. */
    void call(Consumer<String> done);
}
