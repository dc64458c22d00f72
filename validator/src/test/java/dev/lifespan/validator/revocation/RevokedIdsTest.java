package dev.lifespan.validator.revocation;

import dev.lifespan.validator.jose.Base64Url;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class RevokedIdsTest {

    @Test
    void lifespanIdsArePackedAsTheirSixteenBytes() {
        SplittableRandom random = new SplittableRandom(7);
        byte[] bytes = new byte[16];
        for (int i = 0; i < 1000; i++) {
            random.nextBytes(bytes);
            String id = Base64Url.encode(bytes);
            ByteBuffer buffer = ByteBuffer.wrap(bytes);

            assertThat(RevokedIds.Packed.fits(id)).isTrue();
            assertThat(RevokedIds.Packed.high(id)).isEqualTo(buffer.getLong(0));
            assertThat(RevokedIds.Packed.low(id)).isEqualTo(buffer.getLong(8));
        }
    }

    @Test
    void otherSpellingsAreNotPacked() {
        assertThat(RevokedIds.Packed.fits("AAAAAAAAAAAAAAAAAAAAAB")).as("non-zero trailing bits").isFalse();
        assertThat(RevokedIds.Packed.fits("AAAAAAAAAAAAAAAAAAAA+A")).as("base64, not base64url").isFalse();
        assertThat(RevokedIds.Packed.fits("AAAAAAAAAAAAAAAAAAAAAAA")).isFalse();
        assertThat(RevokedIds.Packed.fits("AAAAAAAAAAAAAAAAAAAA\u00e9A")).isFalse();
    }

    @Test
    void readersAlwaysSeeRulesAddedBeforeThemWhileTheWriterGrowsAndShrinksTheTable() throws Exception {
        RevokedIds ids = new RevokedIds();
        List<String> stable = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            stable.add(RevocationRulesTest.jti(i));
            ids.add(stable.get(i), 1_000_000);
        }
        String neverRevoked = RevocationRulesTest.jti(-1);
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            List<Future<Boolean>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(threads.submit(() -> {
                    boolean allSeen = true;
                    do {
                        for (String id : stable) {
                            allSeen &= ids.contains(id);
                        }
                        allSeen &= !ids.contains(neverRevoked);
                    } while (writing.get());
                    return allSeen;
                }));
            }
            Future<?> writer = threads.submit(() -> {
                for (int round = 0; round < 20; round++) {
                    for (int i = 0; i < 20_000; i++) {
                        ids.add(RevocationRulesTest.jti(100_000 + round * 20_000 + i), 10 + round);
                    }
                    ids.dropExpiredBefore(10 + round + 1);
                }
                writing.set(false);
            });
            writer.get(60, TimeUnit.SECONDS);
            for (Future<Boolean> reader : readers) {
                assertThat(reader.get(60, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            writing.set(false);
            threads.shutdownNow();
        }
        assertThat(ids.size()).isEqualTo(1000);
    }
}
