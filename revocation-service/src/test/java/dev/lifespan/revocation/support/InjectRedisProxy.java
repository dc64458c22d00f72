package dev.lifespan.revocation.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Receives the proxy between the revocation service and Redis (only with {@link RevocationTestResource#REDIS_PROXY} set), to stall or cut it. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectRedisProxy {
}
