package dev.lifespan.issuer.support;

/** The clients declared for tests in application.properties ({@code %test.lifespan.clients.*}). */
public final class TestClients {
    /** Confidential web client, profile {@code web} (no grace window). */
    public static final String WEB = "web-app";
    public static final String WEB_SECRET = "web-app-secret-for-tests-0123456789abcdef";
    /** Public mobile client, profile {@code mobile} (device-bound, 10 s grace window). */
    public static final String MOBILE = "mobile-app";
    /** Confidential service client with the client_credentials grant. */
    public static final String SERVICE = "svc-reporting";
    public static final String SERVICE_SECRET = "svc-reporting-secret-for-tests-0123456789";

    /** Service client without any privileged scope. */
    public static final String NARROW = "svc-narrow";
    public static final String NARROW_SECRET = "svc-narrow-secret-for-tests-0123456789abc";

    private TestClients() {
    }
}
