package dev.lifespan.issuer.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Receives the proxy between the issuer and Redis (only with {@link IssuerTestResource#REDIS_PROXY} set), to stall or cut it. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectRedisProxy {
}
