package dev.lifespan.bench;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What each load-generator caller does in its loop. */
public enum LoadMode {
    /** gRPC {@code RefreshTokens}, each caller rotating its own chain of refresh tokens. */
    GRPC_REFRESH("grpc-refresh", true, "refresh_rotation"),
    /** {@code POST /oauth2/token} with {@code grant_type=refresh_token}, one chain per caller. */
    HTTP_REFRESH("http-refresh", true, "refresh_rotation"),
    /** gRPC {@code IssueServiceToken}. */
    GRPC_CLIENT_CREDENTIALS("grpc-client-credentials", false, "service_token_audit"),
    /** {@code POST /oauth2/token} with {@code grant_type=client_credentials}. */
    HTTP_CLIENT_CREDENTIALS("http-client-credentials", false, "service_token_audit");

    private final String label;
    private final boolean refreshChain;
    private final String groupKind;

    LoadMode(String label, boolean refreshChain, String groupKind) {
        this.label = label;
        this.refreshChain = refreshChain;
        this.groupKind = groupKind;
    }

    /** The issuer's group commit this mode's requests wait for (the {@code kind} of its {@code lifespan_statement_group*}). */
    public String groupKind() {
        return groupKind;
    }

    /** The name used on the command line and in reports. */
    public String label() {
        return label;
    }

    /** True if callers need a session of their own (from {@code IssueTokens}) before the loop. */
    public boolean refreshChain() {
        return refreshChain;
    }

    /** The mode named {@code label}. */
    public static LoadMode fromLabel(String label) {
        for (LoadMode mode : values()) {
            if (mode.label.equals(label)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown mode '" + label + "', expected one of " + labels());
    }

    static String labels() {
        return Arrays.stream(values()).map(LoadMode::label).collect(Collectors.joining(", "));
    }
}
