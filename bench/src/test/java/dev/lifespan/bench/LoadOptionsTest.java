package dev.lifespan.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoadOptionsTest {

    @Test
    void defaultsAreSixteenCallersTenSecondsWarmupTwentyMeasured() {
        LoadOptions options = LoadOptions.parse(new String[] {"--client-secret", "s"}, Map.of());

        assertThat(options.mode()).isEqualTo(LoadMode.GRPC_REFRESH);
        assertThat(options.concurrency()).isEqualTo(16);
        assertThat(options.warmup()).isEqualTo(Duration.ofSeconds(10));
        assertThat(options.duration()).isEqualTo(Duration.ofSeconds(20));
        assertThat(options.clientId()).isEqualTo("bench-app");
        assertThat(options.issueClientId()).isNull();
        assertThat(options.cpuPids()).isEmpty();
        assertThat(options.grpcChannels()).isEqualTo(2);
        assertThat(options.ioThreads()).isEqualTo(1);
        assertThat(options.grpcClient()).isEqualTo(LoadOptions.GrpcClient.FRAMES);
    }

    @Test
    void parsesEveryOptionInBothSpellings() {
        LoadOptions options = LoadOptions.parse(new String[] {
                "--target=10.0.0.7:9443", "--mode", "http-client-credentials", "--concurrency", "4",
                "--warmup=0", "--duration", "5", "--client-id", "svc", "--client-secret=top",
                "--subject-prefix", "u-", "--scopes", "a,b c", "--issue-client-id", "issuer-caller",
                "--issue-client-secret", "x", "--cpu-pids", "12,345", "--grpc-channels", "3", "--io-threads", "2",
                "--grpc-client", "stub", "--group-metrics", "http://127.0.0.1:9000/q/metrics",
                "--tsv-out", "r.tsv"},
                Map.of());

        assertThat(options.host()).isEqualTo("10.0.0.7");
        assertThat(options.port()).isEqualTo(9443);
        assertThat(options.grpcHost()).isEqualTo("10.0.0.7");
        assertThat(options.grpcPort()).isEqualTo(9443);
        assertThat(options.httpBase()).hasToString("http://10.0.0.7:9443");
        assertThat(options.mode()).isEqualTo(LoadMode.HTTP_CLIENT_CREDENTIALS);
        assertThat(options.concurrency()).isEqualTo(4);
        assertThat(options.warmup()).isZero();
        assertThat(options.duration()).isEqualTo(Duration.ofSeconds(5));
        assertThat(options.clientId()).isEqualTo("svc");
        assertThat(options.clientSecret()).isEqualTo("top");
        assertThat(options.subjectPrefix()).isEqualTo("u-");
        assertThat(options.scopes()).containsExactly("a", "b", "c");
        assertThat(options.issueClientId()).isEqualTo("issuer-caller");
        assertThat(options.cpuPids()).containsExactly(12, 345);
        assertThat(options.grpcChannels()).isEqualTo(3);
        assertThat(options.ioThreads()).isEqualTo(2);
        assertThat(options.grpcClient()).isEqualTo(LoadOptions.GrpcClient.STUB);
        assertThat(options.groupMetrics()).hasToString("http://127.0.0.1:9000/q/metrics");
        assertThat(options.tsvOut()).isEqualTo("r.tsv");
    }

    @Test
    void grpcCanGoToASeparatePort() {
        LoadOptions options = LoadOptions.parse(
                new String[] {"--client-secret", "s", "--target", "localhost:8080", "--grpc-target", "localhost:9000"},
                Map.of());

        assertThat(options.httpBase()).hasToString("http://localhost:8080");
        assertThat(options.grpcPort()).isEqualTo(9000);
    }

    @Test
    void clientCredentialsModesDefaultToTheServiceClient() {
        LoadOptions options = LoadOptions.parse(new String[] {"--mode", "grpc-client-credentials"},
                Map.of(LoadOptions.CLIENT_SECRET_ENV, "from-env"));

        assertThat(options.clientId()).isEqualTo("bench-svc");
        assertThat(options.clientSecret()).isEqualTo("from-env");
    }

    @Test
    void secretsComeFromTheEnvironmentWhenNotGivenAndNeverShowInToString() {
        LoadOptions options = LoadOptions.parse(new String[] {"--issue-client-id", "bench-svc"},
                Map.of(LoadOptions.CLIENT_SECRET_ENV, "app-secret-value",
                        LoadOptions.ISSUE_CLIENT_SECRET_ENV, "svc-secret-value"));

        assertThat(options.issueClientSecret()).isEqualTo("svc-secret-value");
        assertThat(options.toString()).doesNotContain("app-secret-value", "svc-secret-value");
    }

    @Test
    void rejectsWhatCannotBeRun() {
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--mode", "password"}, Map.of()))
                .hasMessageContaining("unknown mode 'password'");
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--client-secret", "s", "--speed", "9"}, Map.of()))
                .hasMessageContaining("unknown option --speed");
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--client-secret", "s", "--group-metrics", "127.0.0.1:9000"}, Map.of()))
                .hasMessageContaining("--group-metrics must be an http:// URL, got '127.0.0.1:9000'");
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--client-secret", "s", "--concurrency", "0"},
                Map.of())).hasMessageContaining("--concurrency must be at least 1");
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--client-secret", "s", "--duration", "x"},
                Map.of())).hasMessageContaining("whole number");
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--client-secret", "s", "--target", "nohost"},
                Map.of())).hasMessageContaining("host:port");
        assertThatThrownBy(() -> LoadOptions.parse(new String[0], Map.of())).hasMessageContaining("--client-secret");
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--client-secret", "s", "--issue-client-id", "c"},
                Map.of())).hasMessageContaining("--issue-client-secret");
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--client-secret"}, Map.of()))
                .hasMessageContaining("needs a value");
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--client-secret", "s", "--grpc-client", "okhttp"},
                Map.of())).hasMessage("--grpc-client must be frames or stub, got 'okhttp'");
        assertThat(List.of(LoadMode.values())).extracting(LoadMode::label)
                .containsExactly("grpc-refresh", "http-refresh", "grpc-client-credentials", "http-client-credentials");
    }
}
