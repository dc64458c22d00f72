package dev.lifespan.system;

import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.devstack.LocalStack;
import dev.lifespan.devstack.LocalStack.Service;
import dev.lifespan.validator.JwksCache;
import dev.lifespan.validator.TokenValidator;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The web console in a real browser (headless Chromium through Selenium and Debian's chromedriver) against the three
 * packaged services: sign in as the operator client, find a user, end one of their sessions and see a validating node
 * reject its token, watch a refresh-reuse alert arrive live, and look at the audit, revocation and chart views.
 * Screenshots go to {@code system-tests/target/screenshots/}.
 *
 * <p>Needs {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver} (or {@code LIFESPAN_CHROMIUM} /
 * {@code LIFESPAN_CHROMEDRIVER}); without them the class is skipped and says why, unless
 * {@code LIFESPAN_REQUIRE_BROWSER=true} (CI), which makes their absence a failure.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    private static final Duration UI_WAIT = Duration.ofSeconds(15);
    private static final Path SHOTS = Path.of(System.getProperty("lifespan.root", "..")).toAbsolutePath().normalize()
            .resolve("system-tests/target/screenshots");
    private static final Path LOGS = Path.of(System.getProperty("lifespan.root", "..")).toAbsolutePath().normalize()
            .resolve("system-tests/target/service-logs-console");
    private static RunningStack running;
    private static LocalStack stack;
    private static TokenValidator node;
    private static WebDriver browser;
    private static Path profile;

    @BeforeAll
    static void start() throws Exception {
        File chromium = new File(env("LIFESPAN_CHROMIUM", "/usr/bin/chromium"));
        File driver = new File(env("LIFESPAN_CHROMEDRIVER", "/usr/bin/chromedriver"));
        boolean present = chromium.canExecute() && driver.canExecute();
        String why = "the console's browser test needs Chromium and its driver (" + chromium + ", " + driver
                + "; Debian: apt-get install chromium chromium-driver)";
        if (!present && Boolean.parseBoolean(System.getenv("LIFESPAN_REQUIRE_BROWSER"))) {
            throw new IllegalStateException(why + ", and LIFESPAN_REQUIRE_BROWSER=true");
        }
        if (!present) {
            // Surefire counts a class skipped in @BeforeAll as nothing at all: say it where the build output shows it.
            System.out.println("ConsoleBrowserTest skipped: " + why);
        }
        Assumptions.assumeTrue(present, "Skipped: " + why);

        // The reuse rule revokes the subject, so the live alert has an action to show.
        running = RunningStack.start("service-logs-console", Map.of("lifespan.audit.anomaly.rules.refresh-reuse.action", "revoke-subject"));
        stack = running.stack;
        node = running.node(JwksCache.overHttp(stack.issuerUrl() + "/.well-known/jwks.json", Duration.ofSeconds(5)));

        profile = Files.createTempDirectory("lifespan-console-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (running != null) {
            running.close();
        }
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void anOperatorSignsInAndTheTokenStaysInAStrictHttpOnlyCookie() throws Exception {
        browser.get(stack.consoleUrl());
        WebElement secret = waitVisible(By.id("client-secret"));
        shot("01-sign-in");
        browser.findElement(By.id("client-id")).clear();
        browser.findElement(By.id("client-id")).sendKeys(LocalStack.OPERATOR_CLIENT);
        secret.sendKeys("wrong-secret");
        browser.findElement(By.id("signin-button")).click();
        wait(UI_WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("signin-message"), "refused"));

        secret.clear();
        secret.sendKeys(stack.operatorSecret());
        browser.findElement(By.id("signin-button")).click();

        WebElement whoami = waitVisible(By.id("whoami-text"));
        assertThat(whoami.getText()).contains("Signed in as " + LocalStack.OPERATOR_CLIENT);
        Cookie cookie = browser.manage().getCookieNamed("lifespan_console");
        assertThat(cookie).isNotNull();
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.isSecure()).isTrue();
        assertThat(cookie.getSameSite()).isEqualTo("Strict");
        // Nothing about the token is on the page, and the page's script cannot read the cookie.
        assertThat(browser.getPageSource()).doesNotContain(cookie.getValue()).doesNotContain(stack.operatorSecret());
        Object visibleToScript = ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("return document.cookie");
        assertThat(String.valueOf(visibleToScript)).doesNotContain("lifespan_console");
        shot("02-signed-in");
    }

    @Test
    @Order(2)
    void endingASessionFromTheConsoleMakesAValidatingNodeRejectItsTokenAndEndAllEndsTheRest() throws Exception {
        String subject = "dana-" + System.nanoTime();
        IssueTokensResponse laptop = login(subject);
        IssueTokensResponse phone = login(subject);
        assertThat(node.validate(laptop.getAccessToken().getToken(), "api").isValid()).isTrue();

        // The issuer's relay ships events within about a second; the page shows what the audit store holds when asked.
        String reader = stack.demoServiceToken("audit:read");
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> http.send(HttpRequest.newBuilder(
                        URI.create(stack.baseUrl(Service.AUDIT) + "/audit/events?type=SESSION_CREATED&subject=" + subject))
                .header("Authorization", "Bearer " + reader).build(), HttpResponse.BodyHandlers.ofString()).body().contains(phone.getSessionId()));

        findSubject(subject);
        By rows = By.cssSelector("#sessions-table tbody tr[data-session-id]");
        wait(UI_WAIT).until(ExpectedConditions.numberOfElementsToBe(rows, 2));
        wait(UI_WAIT).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#subject-events tbody tr[data-type='SESSION_CREATED']")));
        assertThat(browser.findElement(By.id("sessions-table")).getText()).contains("demo-app", "ACTIVE").doesNotContain("REVOKED");
        shot("03-subject-sessions");

        By laptopRow = By.cssSelector("#sessions-table tr[data-session-id='" + laptop.getSessionId() + "']");
        wait(UI_WAIT).until(b -> {  // found and clicked in one step: the table may be re-rendered in between
            b.findElement(laptopRow).findElement(By.cssSelector("button.end-session")).click();
            return true;
        });

        wait(UI_WAIT).until(ExpectedConditions.attributeContains(laptopRow, "class", "state-REVOKED"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(node.validate(laptop.getAccessToken().getToken(), "api").failure()).isEqualTo(ValidationFailure.REVOKED_SESSION));
        assertThat(node.validate(phone.getAccessToken().getToken(), "api").isValid()).as("the other session is untouched").isTrue();
        assertThat(browser.findElement(By.id("app-message")).getText()).contains("ended");
        // The console's own action is in the audit trail, by the operator's client.
        wait(UI_WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#subject-events tbody tr[data-type='SESSION_ENDED']"),
                "ended from the console by " + LocalStack.OPERATOR_CLIENT));
        shot("04-session-ended");

        // "End all" asks once more, then ends the rest: the phone's token is refused too.
        By phoneRow = By.cssSelector("#sessions-table tr[data-session-id='" + phone.getSessionId() + "']");
        endAll();
        wait(UI_WAIT).until(ExpectedConditions.attributeContains(phoneRow, "class", "state-REVOKED"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(node.validate(phone.getAccessToken().getToken(), "api").failure()).isEqualTo(ValidationFailure.REVOKED_SESSION));
        assertThat(browser.findElement(By.id("app-message")).getText()).contains("1 session(s) ended");
    }

    @Test
    @Order(3)
    void olderSessionsArePagedInOnRequestAndEndAllEndsThoseNotListedToo() throws Exception {
        String subject = "fay-" + System.nanoTime();
        int page = 100;
        List<IssueTokensResponse> logins = new ArrayList<>();
        for (int i = 0; i < page + 3; i++) {
            logins.add(login(subject));
        }
        IssueTokensResponse oldest = logins.get(0);
        IssueTokensResponse newest = logins.get(logins.size() - 1);

        findSubject(subject);
        By rows = By.cssSelector("#sessions-table tbody tr[data-session-id]");
        By oldestRow = By.cssSelector("#sessions-table tr[data-session-id='" + oldest.getSessionId() + "']");
        wait(UI_WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("subject-name"), subject));
        wait(UI_WAIT).until(ExpectedConditions.numberOfElementsToBe(rows, page));
        assertThat(browser.findElements(oldestRow)).as("the oldest session is not on the first page").isEmpty();
        assertThat(browser.findElement(By.id("end-all")).getText()).isEqualTo("End all active sessions (" + page + " listed, maybe more)");

        // A page token the issuer did not answer is refused with the field named, as the issuer names it.
        Object refused = ((org.openqa.selenium.JavascriptExecutor) browser).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "fetch('/console/api/subjects/" + subject + "/sessions?page_token=bm90LWEtdG9rZW4').then(r => r.json().then(b => done(r.status + ' ' + b.field)));");
        assertThat(refused).isEqualTo("400 page_token");

        waitVisible(By.id("sessions-more")).click();
        wait(UI_WAIT).until(ExpectedConditions.numberOfElementsToBe(rows, page + 3));
        assertThat(browser.findElement(By.id("sessions-more")).isDisplayed()).as("no older page is left").isFalse();
        assertThat(browser.findElement(By.id("end-all")).getText()).isEqualTo("End all active sessions (" + (page + 3) + ")");
        shot("05-older-sessions");

        // Ending one session of the older page changes its row in place: the pages already shown stay.
        wait(UI_WAIT).until(b -> {
            b.findElement(oldestRow).findElement(By.cssSelector("button.end-session")).click();
            return true;
        });
        wait(UI_WAIT).until(ExpectedConditions.attributeContains(oldestRow, "class", "state-REVOKED"));
        assertThat(browser.findElements(rows)).hasSize(page + 3);
        assertThat(browser.findElement(By.id("end-all")).getText()).isEqualTo("End all active sessions (" + (page + 2) + ")");

        endAll();
        wait(UI_WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("app-message"), (page + 2) + " session(s) ended"));
        for (IssueTokensResponse login : List.of(oldest, logins.get(1), newest)) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(node.validate(login.getAccessToken().getToken(), "api").failure()).isEqualTo(ValidationFailure.REVOKED_SESSION));
        }
    }

    @Test
    @Order(4)
    void aReusedRefreshTokenShowsUpAsALiveAlert() throws Exception {
        openTab("alerts");
        wait(UI_WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("alerts-state"), "live"));
        String subject = "erin-" + System.nanoTime();
        IssueTokensResponse login = login(subject);
        refresh(login.getRefreshToken().getToken());

        long reusedAt = System.nanoTime();
        assertThat(catchThrowableOfType(StatusRuntimeException.class, () -> refresh(login.getRefreshToken().getToken()))).isNotNull();

        By alert = By.xpath("//ol[@id='alerts-list']/li[@data-rule='refresh-reuse'][.//b[text()='" + subject + "']]");
        WebElement shown = wait(UI_WAIT).until(ExpectedConditions.visibilityOfElementLocated(alert));
        System.out.printf("refresh-reuse alert shown in the console %d ms after the reuse was refused%n", (System.nanoTime() - reusedAt) / 1_000_000);
        assertThat(shown.getText()).contains("refresh-reuse", subject, "action: subject " + subject + " revoked");
        shot("06-live-alert");
    }

    @Test
    @Order(5)
    void theAuditRevocationAndChartViewsShowRealFigures() throws Exception {
        openTab("audit");
        wait(UI_WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("chain-status"), "verified up to event"));
        assertThat(browser.findElement(By.id("chain-status")).getText()).startsWith("Intact");
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.cssSelector("#audit-form select[name='type']")))
                .selectByVisibleText("REFRESH_TOKEN_REUSED");
        browser.findElement(By.id("audit-search")).click();
        wait(UI_WAIT).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#audit-results tbody tr[data-type='REFRESH_TOKEN_REUSED']")));
        shot("07-audit");

        openTab("revocation");
        By issuerRow = By.cssSelector("#nodes-table tr[data-node='issuer']");
        wait(UI_WAIT).until(ExpectedConditions.textToBePresentInElementLocated(issuerRow, "in step"));
        assertThat(browser.findElement(By.cssSelector("#revocation-counts li[data-kind='SESSION'] b")).getText()).isNotEqualTo("0");
        assertThat(browser.findElement(By.id("feed-sequence")).getText()).startsWith("Feed sequence");
        shot("08-revocation");

        openTab("charts");
        wait(UI_WAIT).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#activity-chart svg polyline[data-series='issued']")));
        wait(Duration.ofSeconds(30)).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#lag-chart svg polyline")));
        shot("09-charts");
    }

    @Test
    @Order(6)
    void signingOutRevokesTheTokenSoACopiedCookieSendsYouBackToSignIn() throws Exception {
        Cookie copy = browser.manage().getCookieNamed("lifespan_console");
        browser.findElement(By.id("signout")).click();
        waitVisible(By.id("client-secret"));
        assertThat(browser.manage().getCookieNamed("lifespan_console")).isNull();
        assertThat(browser.findElement(By.id("signin-message")).getText()).contains("Signed out; token revoked");

        // Someone who kept a copy of the cookie gets nothing: the token was revoked at sign-out.
        browser.manage().addCookie(copy);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            browser.navigate().refresh();
            assertThat(waitVisible(By.id("client-secret")).isDisplayed()).isTrue();
            wait(UI_WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("signin-message"), "revoked"));
        });
        assertThat(browser.findElement(By.id("signin-message")).getText()).contains("Your sign-in was revoked (REVOKED_TOKEN)");
        shot("10-revoked-sign-in");

        // Neither the operator's secret nor the console's token is in any service's log.
        try (var logs = Files.list(LOGS)) {
            for (Path log : logs.toList()) {
                assertThat(Files.readString(log)).as(log.toString()).doesNotContain(stack.operatorSecret()).doesNotContain(copy.getValue());
            }
        }
    }

    private static IssueTokensResponse login(String subject) throws Exception {
        return RunningStack.as(TokenIssuerGrpc.newBlockingStub(running.channel(Service.ISSUER)), stack.demoServiceToken(null))
                .issueTokens(IssueTokensRequest.newBuilder().setSubject(subject).setClientId("demo-app").build());
    }

    private static void refresh(String refreshToken) {
        TokenIssuerGrpc.newBlockingStub(running.channel(Service.ISSUER)).refreshTokens(RefreshTokensRequest.newBuilder()
                .setRefreshToken(refreshToken).setClientId("demo-app").setClientSecret(stack.appSecret()).build());
    }

    /**
     * "End all": it asks once more, then ends every active session of the subject shown. The first click is made again
     * until the button asks, as a person would: once in CI, on a loaded machine, it left the button as it was for 15 s.
     */
    private static void endAll() {
        wait(UI_WAIT).until(b -> {
            WebElement button = b.findElement(By.id("end-all"));
            if (!button.getText().startsWith("Click again")) {
                button.click();
            }
            return button.getText().startsWith("Click again");
        });
        browser.findElement(By.id("end-all")).click();
    }

    /** Opens the subject view and asks for {@code subject}'s sessions and events. */
    private static void findSubject(String subject) {
        openTab("subject");
        WebElement input = browser.findElement(By.id("subject-input"));
        input.clear();
        input.sendKeys(subject);
        browser.findElement(By.id("subject-find")).click();
    }

    private static void openTab(String name) {
        browser.findElement(By.cssSelector("#tabs button[data-tab='" + name + "']")).click();
        waitVisible(By.id("tab-" + name));
    }

    private static WebElement waitVisible(By by) {
        return wait(UI_WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Waits for a condition; the console re-renders its tables as data arrives, so an element found a moment ago may be gone. */
    private static WebDriverWait wait(Duration timeout) {
        WebDriverWait wait = new WebDriverWait(browser, timeout);
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    private static void shot(String name) throws IOException {
        Files.write(SHOTS.resolve(name + ".png"), ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
