package dev.lifespan.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP forwarder that a test can cut and restore, to see how a service behaves when
 * PostgreSQL or Redis goes away mid-flight: {@link #cut()} drops every open connection and
 * refuses new ones until {@link #restore()}; {@link #stall()} keeps every connection open but
 * delivers nothing either way until {@link #resume()}, as a paused server does (nothing fails,
 * nothing answers); {@link #stallOpen()} does that to the connections open now only, as a
 * half-open connection to a server that moved does while new connections reach it.
 */
public final class TcpProxy implements AutoCloseable {
    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private boolean stalled;
    private final Set<Socket> stalledSockets = ConcurrentHashMap.newKeySet();
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

    /** Delivers what was held, in order, and forwards again. */
    public synchronized void resume() {
        stalled = false;
        stalledSockets.clear();
        notifyAll();
    }

    private synchronized void awaitFlowing(Socket from) throws InterruptedException {
        while ((stalled || stalledSockets.contains(from)) && !closed) {
            wait();
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
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    awaitFlowing(from);
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // the other side closed or the proxy was cut
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
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
