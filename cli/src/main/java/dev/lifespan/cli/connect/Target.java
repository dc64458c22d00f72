package dev.lifespan.cli.connect;

/** One of the three services the command talks to, by the name people use for it. */
public enum Target {
    ISSUER("issuer"),
    REVOCATION("revocation service"),
    AUDIT("audit service");

    private final String title;

    Target(String title) {
        this.title = title;
    }

    public String title() {
        return title;
    }
}
