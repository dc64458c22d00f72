package dev.lifespan.issuer.session;

import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.api.v1.ListSessionsResponse;
import dev.lifespan.api.v1.Session;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.MutableClock;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ListSessions pages through every session of a subject, newest first, none twice and none left out, however many
 * there are: a support tool (the CLI, the console) sees past the first page instead of a list silently cut at it.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class ListSessionsPagingTest {

    @InjectServers
    EmbeddedServers servers;

    @Inject
    MutableClock clock;

    @Test
    void pagesCoverEverySessionOnceNewestFirst() {
        String subject = "paged-" + UUID.randomUUID();
        int sessions = 12;
        Outbox.insertActiveSessions(servers, subject, subject, TestClients.WEB, sessions, clock.instant());
        // Session n began n seconds ago: newest first is 1, 2, ... 12.
        List<String> expected = IntStream.rangeClosed(1, sessions).mapToObj(n -> subject + "-" + n).toList();

        List<String> seen = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String token = "";
        do {
            ListSessionsResponse page = list(ListSessionsRequest.newBuilder().setSubject(subject).setIncludeEnded(true).setPageSize(5)
                    .setPageToken(token));
            page.getSessionsList().forEach(s -> seen.add(s.getSessionId()));
            pageSizes.add(page.getSessionsCount());
            token = page.getNextPageToken();
        } while (!token.isEmpty());

        assertThat(pageSizes).as("no empty last page").containsExactly(5, 5, 2);
        assertThat(seen).containsExactlyElementsOf(expected);
        assertThat(list(ListSessionsRequest.newBuilder().setSubject(subject).setPageSize(12)).getNextPageToken())
                .as("a page holding the rest has no next").isEmpty();
    }

    @Test
    void theLiveListPagesToo() {
        // Other tests of this application move its clock forward (by days, for idle and absolute ends); "live" is by it.
        clock.advance(Duration.ofDays(3));
        String subject = "paged-live-" + UUID.randomUUID();
        Outbox.insertActiveSessions(servers, subject, subject, TestClients.WEB, 4, clock.instant());
        Grpc.issuer().endSession(EndSessionRequest.newBuilder().setSessionId(subject + "-2").build());

        ListSessionsResponse first = list(ListSessionsRequest.newBuilder().setSubject(subject).setPageSize(2));
        ListSessionsResponse second = list(ListSessionsRequest.newBuilder().setSubject(subject).setPageSize(2)
                .setPageToken(first.getNextPageToken()));

        assertThat(first.getSessionsList()).extracting(Session::getSessionId).containsExactly(subject + "-1", subject + "-3");
        assertThat(second.getSessionsList()).extracting(Session::getSessionId).containsExactly(subject + "-4");
        assertThat(second.getNextPageToken()).isEmpty();
    }

    @Test
    void aTokenListSessionsDidNotAnswerIsNamed() {
        for (String bad : List.of("not-base64!", "x".repeat(200), "MTIz", "YWJjLnNpZA")) {
            StatusRuntimeException refused = Grpc.failure(Status.Code.INVALID_ARGUMENT,
                    () -> list(ListSessionsRequest.newBuilder().setSubject("anyone").setPageToken(bad)));
            assertThat(refused.getStatus().getDescription()).as(bad).isEqualTo("page_token is not a next_page_token that ListSessions answered");
        }
    }

    private static ListSessionsResponse list(ListSessionsRequest.Builder request) {
        return Grpc.issuer().listSessions(request.build());
    }
}
