package dev.lifespan.devstack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP forwarder that a test can cut and restore, to see how a service behaves when
 * PostgreSQL or Redis goes away mid-flight: {@link #cut()} drops every open connection and
 * refuses new ones until {@link #restore()}; {@link #stall()} keeps every connection open but
 * delivers nothing either way until {@link #resume()}, as a paused server does (nothing fails,
 * nothing answers); {@link #stallOpen()} does that to the connections open now only, as a
 * half-open connection to a server that moved does while new connections reach it. What a side sends or closes
 * while held is taken in (so a client that gives up a held connection is seen doing so:
 * {@link #anyHeldOpenByClient()}) and reaches the other side only on {@link #resume()}.
 */
public final class TcpProxy implements AutoCloseable {
    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private boolean stalled;
    private final Set<Socket> stalledSockets = ConcurrentHashMap.newKeySet();
    /** The client side of every connection, for {@link #anyHeldOpenByClient()}. */
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    /** What a held side sent, by that side, delivered on {@link #resume()}; a side that closed meanwhile maps to its peer's close. */
    private final Map<Socket, Held> held = new ConcurrentHashMap<>();
    /** One lock per direction, named by the side it reads from (not the socket itself: closing a socket locks it). */
    private final Map<Socket, Object> locks = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public TcpProxy(String targetHost, int targetPort) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        try {
            this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Drops all connections and refuses new ones. */
    public void cut() {
        cut = true;
        for (Socket socket : open) {
            closeQuietly(socket);
        }
        open.clear();
    }

    /** Accepts and forwards connections again. */
    public void restore() {
        cut = false;
    }

    /** Holds every byte in either direction, on open and new connections alike, until {@link #resume()}. */
    public synchronized void stall() {
        stalled = true;
    }

    /** Holds every byte on the connections open now, until {@link #resume()}; new connections flow. */
    public synchronized void stallOpen() {
        stalledSockets.addAll(open);
    }

    /** Whether a connection held by {@link #stallOpen()} or {@link #stall()} is still open at its client's end. */
    public boolean anyHeldOpenByClient() {
        return open.stream().anyMatch(socket -> clients.contains(socket) && isHeld(socket));
    }

    /** Delivers what was held, in order (a close last), and forwards again. */
    public void resume() {
        synchronized (this) {
            stalled = false;
            stalledSockets.clear();
        }
        held.keySet().forEach(this::deliverHeld);
    }

    private synchronized boolean isHeld(Socket from) {
        return (stalled || stalledSockets.contains(from)) && !closed;
    }

    /** Sends {@code n} bytes from {@code from} on to {@code to}, after what was held; or holds them. */
    private void forward(Socket from, Socket to, byte[] buffer, int n) throws IOException {
        synchronized (lockOf(from)) {
            if (isHeld(from)) {
                held.computeIfAbsent(from, ignored -> new Held(to)).bytes.write(buffer, 0, n);
                return;
            }
            deliverHeld(from);
            OutputStream out = to.getOutputStream();
            out.write(buffer, 0, n);
            out.flush();
        }
    }

    /** {@code from} closed: so is {@code to}, at once or, while {@code from} is held, once it is delivered. */
    private void ended(Socket from, Socket to) {
        synchronized (lockOf(from)) {
            open.remove(from);
            closeQuietly(from);
            if (isHeld(from)) {
                held.computeIfAbsent(from, ignored -> new Held(to)).closed = true;
                return;
            }
            deliverHeld(from);
            closeQuietly(to);
            open.remove(to);
        }
    }

    private Object lockOf(Socket from) {
        return locks.computeIfAbsent(from, ignored -> new Object());
    }

    /** What was held from {@code from}, sent on (and its close passed on), unless still held. */
    private void deliverHeld(Socket from) {
        synchronized (lockOf(from)) {
            Held pending = held.get(from);
            if (pending == null || isHeld(from)) {
                return;
            }
            held.remove(from);
            try {
                OutputStream out = pending.to.getOutputStream();
                out.write(pending.bytes.toByteArray());
                out.flush();
            } catch (IOException e) {
                pending.closed = true;
            }
            if (pending.closed) {
                closeQuietly(pending.to);
                open.remove(pending.to);
            }
        }
    }

    /** What one held side sent, and whether it closed, for the other side. */
    private static final class Held {
        private final Socket to;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private boolean closed;

        Held(Socket to) {
            this.to = to;
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (cut) {
                closeQuietly(client);
                continue;
            }
            try {
                Socket upstream = new Socket(targetHost, targetPort);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                open.add(client);
                open.add(upstream);
                clients.add(client);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    forward(from, to, buffer, n);
                }
            } catch (IOException ignored) {
                // the other side closed or the proxy was cut
            } finally {
                ended(from, to);
                clients.remove(from);
                locks.remove(from);
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        resume();
        cut();
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
