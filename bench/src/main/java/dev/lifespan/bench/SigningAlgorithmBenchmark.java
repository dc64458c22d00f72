package dev.lifespan.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;

/**
 * Cost of signing and of verifying one typical access token ({@link SampleAccessToken}) per algorithm.
 *
 * <p>{@code sign} produces the whole compact JWS string (base64url header and payload, signature, base64url
 * signature), as the issuer does per token. {@code verify} splits a compact JWS, decodes the signature and checks
 * it, as every validating node does before looking at claims. Single-threaded throughput: ops/s per core.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar SigningAlgorithmBenchmark -f 1 -wi 2 -w 2s -i 3 -r 3s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class SigningAlgorithmBenchmark {

    /** Which algorithm and implementation; see {@link SigningImplementation}. */
    @Param({"ES256_JDK", "EDDSA_TINK", "EDDSA_BC", "EDDSA_JDK", "RS256_JDK", "PS256_JDK"})
    public String implementation;

    private JwsSigner signer;
    private byte[] header;
    private byte[] payload;
    private String token;

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException {
        signer = SigningImplementation.valueOf(implementation).newSigner();
        header = SampleAccessToken.headerJson(signer.jwsAlgorithm());
        payload = SampleAccessToken.payloadJson();
        token = CompactJws.sign(signer, header, payload);
        if (!CompactJws.verify(signer, token)) {
            throw new IllegalStateException(implementation + " does not verify its own token");
        }
    }

    @Benchmark
    public String sign() throws GeneralSecurityException {
        return CompactJws.sign(signer, header, payload);
    }

    @Benchmark
    public boolean verify() throws GeneralSecurityException {
        return CompactJws.verify(signer, token);
    }
}
