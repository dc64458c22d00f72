package dev.lifespan.audit.console;

import dev.lifespan.support.error.ServiceException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Console sign-ins the issuer refused, counted per browser address: after {@code limit} refusals within {@code window}
 * of the first, sign-in from that address is refused with 429 and the time left, without asking the issuer, until the
 * window is over. A sign-in that succeeds clears its address. Per replica, in memory: it slows guessing through the
 * console, whose attempts the issuer sees as coming from this service; the issuer's own audit counts and alerts see
 * every attempt anyway.
 *
 * <p>Bounded: at most {@link #MAX_ADDRESSES} addresses are held; when full, expired windows are dropped first, and an
 * address that still finds no room is not counted (logged once), so a flood of addresses cannot lock everyone out.
 */
final class SignInThrottle {
    private static final Logger LOG = Logger.getLogger(SignInThrottle.class);
    static final int MAX_ADDRESSES = 10_000;

    private final int limit;
    private final Duration window;
    private final InstantSource clock;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
    private volatile boolean fullLogged;

    private record Window(Instant start, int refusals) {
    }

    /** @param limit refusals allowed per window; 0 turns the throttle off */
    SignInThrottle(int limit, Duration window, InstantSource clock) {
        this.limit = limit;
        this.window = window;
        this.clock = clock;
    }

    /** Refuses a sign-in from an address that has used up its refusals in this window. */
    void check(String address) {
        if (limit <= 0 || address == null) {
            return;
        }
        Window held = windows.get(address);
        if (held == null || held.refusals() < limit) {
            return;
        }
        Duration left = Duration.between(clock.instant(), held.start().plus(window));
        if (left.compareTo(Duration.ZERO) > 0) {
            throw ServiceException.rateLimited("too many refused sign-ins from this address", left);
        }
        windows.remove(address, held);
    }

    /** The issuer refused a sign-in from this address. */
    void refused(String address) {
        if (limit <= 0 || address == null) {
            return;
        }
        Instant now = clock.instant();
        if (windows.size() >= MAX_ADDRESSES && !windows.containsKey(address)) {
            windows.values().removeIf(w -> !now.isBefore(w.start().plus(window)));
            if (windows.size() >= MAX_ADDRESSES) {
                if (!fullLogged) {
                    fullLogged = true;
                    LOG.warnf("Console sign-in refusals are held for %d addresses; further addresses are not counted until windows end",
                            MAX_ADDRESSES);
                }
                return;
            }
        }
        windows.compute(address, (a, w) -> w == null || !now.isBefore(w.start().plus(window))
                ? new Window(now, 1) : new Window(w.start(), w.refusals() + 1));
    }

    /** A sign-in from this address succeeded. */
    void succeeded(String address) {
        if (address != null) {
            windows.remove(address);
        }
    }
}
