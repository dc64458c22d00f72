package dev.lifespan.bench;

/**
 * One simulated client with one request in flight at a time. Not thread-safe: each caller thread owns one.
 */
interface Caller {

    /**
     * Gets ready for {@link #call()} (for refresh modes: starts a session of its own). Not measured. Called before the
     * load starts and again after a failed call, since a failed refresh leaves the chain in an unknown state and
     * presenting the same refresh token again could be taken for reuse.
     */
    default void prepare() throws Exception {
    }

    /** True if {@link #prepare()} must run before the next {@link #call()}. */
    default boolean needsPrepare() {
        return false;
    }

    /** Makes one measured request. Returns null if it succeeded with every token expected, else why it failed. */
    String call();
}
