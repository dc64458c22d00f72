package dev.lifespan.issuer.session;

/** A session as a support tool sees it: the stored row and its state now ({@link SessionLiveness#status}). */
public record SessionView(SessionRow session, SessionLiveness.Status status) {
}
