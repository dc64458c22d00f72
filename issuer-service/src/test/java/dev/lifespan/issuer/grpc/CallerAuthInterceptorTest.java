package dev.lifespan.issuer.grpc;

import dev.lifespan.api.v1.TokenIssuerGrpc;
import io.grpc.MethodDescriptor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bearer guard lets a method it has no scope for through with any valid token, so every TokenIssuer RPC must be
 * either scoped or deliberately open: a new privileged RPC left out of both would be callable by every service.
 */
class CallerAuthInterceptorTest {

    @Test
    void everyRpcIsScopedOrDeliberatelyOpen() {
        for (MethodDescriptor<?, ?> method : TokenIssuerGrpc.getServiceDescriptor().getMethods()) {
            String name = method.getFullMethodName();
            assertThat(CallerAuthInterceptor.REQUIRED_SCOPES.containsKey(name) ^ CallerAuthInterceptor.OPEN_METHODS.contains(name))
                    .as(name + " is scoped or open, not both").isTrue();
        }
    }
}
