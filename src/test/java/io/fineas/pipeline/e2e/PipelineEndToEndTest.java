package io.fineas.pipeline.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import io.fineas.pipeline.support.SourceServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole pipeline on the embedded default, all roles in one application: a processor captures documents from a
 * local HTTP source, the RAG services ingest them and store an analysis inference in the segment, and /chat answers a
 * question whose answer is in one document, citing that document.
 */
class PipelineEndToEndTest extends PipelineTestSupport {

    private SourceServer source;
    private Path folder;

    @Override
    protected String roles() {
        return "all";
    }

    private String topic() {
        return "e2e-" + ids().suffix();
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.processors.dir", processors().toString());
        p.put("pipeline.scheduler.schedule-file", processors().resolve("no-schedule.json").toString());
        p.put("pipeline.llm.analysis-group", "llm-analysis-" + ids().suffix());
        p.put("pipeline.kafka.inference-topic", "inference-" + ids().suffix());
        p.put("pipeline.kafka.chat-request-topic", "chat-requests-" + ids().suffix());
        p.put("pipeline.kafka.chat-reply-topic", "chat-replies-" + ids().suffix());
        p.put("pipeline.chat.timeout-ms", "60000");
    }

    private Path processors() {
        if (folder == null) {
            try {
                source = new SourceServer();
                source.document("lithium", "Lithium carbonate prices fell forty percent this year as new mines in "
                        + "Australia and Argentina came online. Battery makers signed longer supply contracts.");
                source.document("shipping", "Container freight rates doubled after vessels were rerouted around the "
                        + "Cape of Good Hope. Insurers raised war-risk premiums for the Red Sea.");
                source.document("coffee", "Arabica coffee futures reached a record because drought in Brazil cut the "
                        + "harvest. Roasters passed higher costs to supermarkets.");
                folder = Files.createTempDirectory("e2e-processors");
                Files.writeString(folder.resolve("market-notes.yaml"), "topic: " + topic() + "\nsegment: markets\n"
                        + "data_list: market-notes.data.json\nsource:\n  kind: http\n  url: \"" + source.baseUrl()
                        + "/doc/{name}\"\n  allow_private_network: true\n");
                Files.writeString(folder.resolve("market-notes.data.json"),
                        "[{\"name\": \"lithium\"}, {\"name\": \"shipping\"}, {\"name\": \"coffee\"}]");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return folder;
    }

    @AfterAll
    void stopSource() {
        source.close();
    }

    private boolean collected;

    /** One collection run for the class's tests: the topic, its segment, and the processor's run. */
    private synchronized void collectOnce() {
        if (collected) {
            return;
        }
        createTopic(topic());
        createSegment(topic(), "markets");
        Response collect = post("/collect", List.of(Map.of("topic", topic(), "segment_targets", List.of("markets"))),
                "X-API-Key", ADMIN_KEY);
        assertThat(collect.status()).isEqualTo(202);
        collected = true;
    }

    private void awaitSearchable() {
        await().atMost(Duration.ofSeconds(120)).until(() -> ((List<?>) post("/search", Map.of("query", "freight",
                "topic", topic()), "X-API-Key", ADMIN_KEY).json().get("results")).size() == 3);
    }

    @Test
    void capturedDocumentsAreAnalysedAndAnswerAChatQuestionWithTheirSource() {
        collectOnce();

        // an analysis inference per document is stored in the segment
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
            Response page = get("/topics/" + topic() + "/segments/markets/inferences?size=10", "X-API-Key", ADMIN_KEY);
            assertThat(page.status()).isEqualTo(200);
            assertThat(((Number) page.json().get("total")).intValue()).isEqualTo(3);
        });
        List<Map<String, Object>> inferences = (List<Map<String, Object>>) get("/topics/" + topic()
                + "/segments/markets/inferences?size=10", "X-API-Key", ADMIN_KEY).json().get("inferences");
        Map<String, Object> coffee = inferences.stream()
                .filter(i -> String.valueOf(i.get("source")).endsWith("/doc/coffee")).findFirst().orElseThrow();
        assertThat(coffee).containsEntry("model", "extractive-minilm").containsEntry("prompt_template",
                "analysis/default").containsEntry("segment", "markets").containsKey("latency_ms");
        assertThat((String) coffee.get("inference")).contains("Brazil").contains("[1]");

        // the chunks are searchable, then /chat answers from the one document that holds the answer
        awaitSearchable();
        Response chat = post("/chat", Map.of("question", "Why did container freight rates rise?", "topic", topic(),
                "session_id", "s1"), "X-API-Key", ADMIN_KEY);

        assertThat(chat.status()).as(chat.body()).isEqualTo(200);
        Map<String, Object> answer = chat.json();
        assertThat((String) answer.get("answer")).containsIgnoringCase("Cape of Good Hope").contains("[1]");
        assertThat(answer.get("model")).isEqualTo("extractive-minilm");
        List<Map<String, Object>> sources = (List<Map<String, Object>>) answer.get("sources");
        assertThat(sources.get(0)).containsEntry("topic", topic()).containsEntry("segment", "markets");
        assertThat((String) sources.get(0).get("source")).endsWith("/doc/shipping");
        assertThat((String) sources.get(0).get("chunk")).contains("Container freight");
        // the citation names its chunk as /search does, and the collection run that captured it
        Map<String, Object> cited = sources.get(0);
        List<Map<String, Object>> hits = (List<Map<String, Object>>) post("/search", Map.of("query",
                "Why did container freight rates rise?", "topic", topic(), "k", 10, "retrieval", "hybrid"),
                "X-API-Key", ADMIN_KEY).json().get("results");
        assertThat(hits).extracting(h -> h.get("id")).contains(cited.get("chunk_id"));
        assertThat((String) cited.get("run_id")).isNotBlank();
        assertThat((String) cited.get("captured_at")).isNotBlank();
        // the same question by hybrid retrieval finds the same document
        Response hybrid = post("/chat", Map.of("question", "Why did container freight rates rise?", "topic", topic(),
                "retrieval", "hybrid"), "X-API-Key", ADMIN_KEY);
        assertThat((String) ((List<Map<String, Object>>) hybrid.json().get("sources")).get(0).get("source"))
                .endsWith("/doc/shipping");

        // bad questions are refused with JSON errors
        assertThat(post("/chat", Map.of("question", ""), "X-API-Key", ADMIN_KEY).status()).isEqualTo(400);
        assertThat(post("/chat", Map.of("question", "x")).status()).isEqualTo(401);
    }

    /** The chat page in a real headless browser (Debian's chromium, driven by Selenium), with a screenshot. */
    /** The API contract's docs page (Swagger UI from its WebJar, offline) renders every operation of /openapi.json. */
    @Test
    void theApiDocsPageShowsEveryOperationOfTheContract() throws Exception {
        Response contract = get("/openapi.json");
        assertThat(contract.status()).isEqualTo(200);
        assertThat(contract.header("Content-Type")).startsWith("application/json");
        assertThat(contract.body()).isEqualTo(new io.fineas.pipeline.gateway.OpenApiDocument().json());
        Response elsewhere = get("/webjars/swagger-ui/..%2F..%2Fapplication.properties");
        assertThat(elsewhere.status()).isEqualTo(404);
        assertThat(elsewhere.json()).containsKeys("error", "detail");
        WebDriver browser = io.fineas.pipeline.support.Browser.open();
        try {
            browser.get(uri("/api-docs").toString());
            new WebDriverWait(browser, Duration.ofSeconds(30)).until(d ->
                    d.findElements(By.cssSelector(".opblock")).size() >= 19);
            assertThat(browser.findElements(By.cssSelector(".opblock-summary-path")))
                    .extracting(WebElement::getText).contains("/collect", "/lineage/{chunk_id}", "/topics/{topic}/budget");
            Path shot = Path.of("target", "screenshots", "api-docs.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } finally {
            browser.quit();
        }
    }

    @Test
    void theChatPageAnswersInABrowser() throws Exception {
        collectOnce();
        awaitSearchable();
        WebDriver browser = io.fineas.pipeline.support.Browser.open();
        try {
            browser.get(uri("/#chat").toString());
            browser.findElement(By.id("key")).sendKeys(ADMIN_KEY);
            browser.findElement(By.id("sign-in")).click();
            browser.findElement(By.id("topic")).sendKeys(topic());
            browser.findElement(By.id("question")).sendKeys("Why did arabica coffee futures reach a record?");
            browser.findElement(By.id("ask")).click();
            new WebDriverWait(browser, Duration.ofSeconds(90)).until(d ->
                    d.findElement(By.id("answer")).getText().contains("Brazil"));
            List<WebElement> sources = browser.findElements(By.cssSelector("#sources .source"));
            assertThat(sources).isNotEmpty();
            assertThat(sources.get(0).getText()).contains("/doc/coffee");
            assertThat(browser.findElement(By.id("model")).getText()).contains("extractive-minilm");
            Path shot = Path.of("target", "screenshots", "chat-page.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

            // a citation's lineage: the captured record, the processor and the collection run behind it
            sources.get(0).findElement(By.cssSelector("button.lineage")).click();
            WebElement trace = new WebDriverWait(browser, Duration.ofSeconds(20)).until(d ->
                    d.findElement(By.cssSelector("#sources .source .trace")));
            new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> trace.getText().contains("collection run"));
            assertThat(trace.getText()).contains("/doc/coffee").contains("captured record").contains("processor")
                    .contains("requested").doesNotContain("request failed");
            Files.write(Path.of("target", "screenshots", "chat-page-lineage.png"),
                    ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } finally {
            browser.quit();
        }
    }

    @Test
    void theChatPageIsServed() {
        Response page = get("/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.body()).contains("<title>Fineas console</title>").contains("<script src=\"/console.js\">");
        // its script, a file of its own (no inline script under the Content-Security-Policy)
        assertThat(get("/console.js").body()).contains("api(\"POST\", \"/chat\"");
    }
}
