package io.fineas.pipeline.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.fineas.pipeline.support.Browser;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator console (GET /) in real headless Chromium, on the whole embedded pipeline: sign in, create a topic and
 * its segment, collect from the processor's page, watch the run finish, read the inferences, see the schedule, ask a
 * question and open a citation's lineage, with a screenshot of each page; then a key of another topic sees none of it.
 */
class ConsoleBrowserTest extends PipelineTestSupport {

    private Path folder;

    @Override
    protected String roles() {
        return "all";
    }

    private String topic() {
        return "console-" + ids().suffix();
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.processors.dir", folder().toString());
        p.put("pipeline.scheduler.schedule-file", folder().resolve("schedule.json").toString());
        p.put("pipeline.scheduler.redis-prefix", "test:" + ids().suffix());
        p.put("pipeline.llm.analysis-group", "llm-analysis-" + ids().suffix());
        p.put("pipeline.kafka.inference-topic", "inference-" + ids().suffix());
        p.put("pipeline.kafka.chat-request-topic", "chat-requests-" + ids().suffix());
        p.put("pipeline.kafka.chat-reply-topic", "chat-replies-" + ids().suffix());
        p.put("pipeline.kafka.llm-dlq-topic", llmDlq());
        p.put("pipeline.rag.chunk-count-ms", "500");
    }

    private String llmDlq() {
        return "llm-" + ids().suffix() + ".dlq";
    }

    /** A record the analysis set aside, as the LLM dead-letter route publishes it. */
    private void deadLetter(String key, String value) throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", io.fineas.pipeline.support.PipelineInfrastructure.bootstrapServers());
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(p,
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.StringSerializer())) {
            var r = new org.apache.kafka.clients.producer.ProducerRecord<>(llmDlq(), key, value);
            r.headers().add("dlq-reason", "503 after 5 tries".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            r.headers().add("dlq-source-topic", dataTopic(topic()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            producer.send(r).get();
        }
    }

    /** A file processor of three field notes into the topic's segment "notes", and a weekly schedule entry for it. */
    private Path folder() {
        if (folder == null) {
            try {
                folder = Files.createTempDirectory("console-processors");
                Files.createDirectories(folder.resolve("notes"));
                Files.writeString(folder.resolve("notes/harbour.txt"), "Harbour crane upgrade\n\nThe port of Feyport "
                        + "installed two electric cranes that move forty containers an hour.");
                Files.writeString(folder.resolve("notes/bakery.txt"), "Bakery cooperative\n\nThe Dulcar bakery "
                        + "cooperative now mills its own rye flour and sells it to twelve villages.");
                Files.writeString(folder.resolve("notes/ferry.txt"), "Night ferry\n\nA night ferry between Kestrin "
                        + "and Lunaris starts in May and carries two hundred passengers.");
                // the second item names a folder that is not there: it fails, with its reason
                Files.writeString(folder.resolve("notes.data.json"), "[{\"path\": \"notes\"}, {\"path\": \"gone\"}]");
                Files.writeString(folder.resolve("field-notes.yaml"), "topic: " + topic() + "\nsegment: notes\n"
                        + "data_list: notes.data.json\nsource:\n  kind: file\n  root: .\n");
                Files.writeString(folder.resolve("weekly.json"), toJson(List.of(Map.of("topic", topic(),
                        "segment_targets", List.of("notes")))));
                Files.writeString(folder.resolve("schedule.json"), "[{\"data_collection_file_path\": \"weekly.json\", "
                        + "\"cron\": \"0 0 3 ? * SUN\"}]");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return folder;
    }

    /** A wait that reads the page again when a view redrew an element it held (the runs page redraws itself). */
    private static WebDriverWait waiting(WebDriver browser, int seconds) {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(seconds));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        return wait;
    }

    private static void open(WebDriver browser, String view) {
        browser.findElement(By.cssSelector("nav a[data-view=" + view + "]")).click();
        waiting(browser, 10).until(d -> d.findElement(By.id("view-" + view)).isDisplayed()
                && view.equals(d.findElement(By.tagName("body")).getAttribute("data-loaded")));
    }

    private static void signIn(WebDriver browser, String key) {
        WebElement field = browser.findElement(By.id("key"));
        field.clear();
        field.sendKeys(key);
        browser.findElement(By.id("sign-in")).click();
    }

    @Test
    void anOperatorRunsThePipelineFromTheConsoleAndAnotherTopicsKeySeesNoneOfIt() throws Exception {
        String topic = topic();
        WebDriver browser = Browser.open();
        try {
            browser.get(uri("/").toString());
            assertThat(browser.findElement(By.id("error")).getText()).contains("Sign in");
            signIn(browser, ADMIN_KEY);

            // topics: create the topic and its segment
            browser.findElement(By.id("new-topic")).sendKeys(topic);
            browser.findElement(By.id("create-topic")).click();
            waiting(browser, 15).until(d -> !d.findElements(By.cssSelector("#topics tr[data-topic='" + topic + "']"))
                    .isEmpty());
            new Select(browser.findElement(By.id("segment-topic"))).selectByValue(topic);
            browser.findElement(By.id("new-segment")).sendKeys("notes");
            browser.findElement(By.id("create-segment")).click();
            waiting(browser, 15).until(d -> d.findElement(By.cssSelector("#topics tr[data-topic='" + topic
                    + "'] td:nth-child(2)")).getText().equals("1"));
            Browser.screenshot(browser, "console-topics");

            // processors: the file processor of the topic, and a collection run from its row
            open(browser, "processors");
            WebElement row = waiting(browser, 15).until(d -> d.findElement(By.cssSelector(
                    "#processors tr[data-processor='field-notes']")));
            assertThat(row.getText()).contains("file").contains(topic + " / notes");
            row.findElement(By.cssSelector("button.collect")).click();
            waiting(browser, 15).until(d -> d.findElement(By.cssSelector(
                    "#processors tr[data-processor='field-notes'] button.collect")).getText().contains("requested"));
            Browser.screenshot(browser, "console-processors");

            // runs: the run appears and its processor reports it done, the page refreshing itself
            open(browser, "runs");
            waiting(browser, 60).until(d -> d.findElements(By.cssSelector("#runs .processor-summary")).stream()
                    .anyMatch(e -> e.getText().contains("field-notes: partial, 1 of 2 items ok, 1 failed, 3 records")));
            String runRow = waiting(browser, 5).until(d -> d.findElement(By.cssSelector("#runs tbody tr")).getText());
            assertThat(runRow).contains(topic + " / notes").contains("reported");
            // the failed item and why
            waiting(browser, 20).until(d -> {
                if (!d.findElements(By.cssSelector("#runs .failures li")).isEmpty()) {
                    return true;
                }
                d.findElements(By.cssSelector("#runs button.failed-items")).forEach(WebElement::click);
                return false;
            });
            assertThat(browser.findElement(By.cssSelector("#runs .failures")).getText()).contains("gone")
                    .contains("NoSuchFileException").doesNotContain("RuntimeBeanExpressionException");
            Browser.screenshot(browser, "console-runs");
            // the run's trace as a waterfall: the request, the processor's run, each capture, each record's stages
            // (opened once its records are analysed: the trace grows until then)
            String runId = browser.findElement(By.cssSelector("#runs tbody tr")).getAttribute("data-run");
            String traceId = (String) get("/runs/" + runId, "X-API-Key", ADMIN_KEY).json().get("trace_id");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
                String trace = get("/traces/" + traceId, "X-API-Key", ADMIN_KEY).body();
                return trace.contains("rag-analysis record") && trace.contains("rag-vector-ingest record");
            });
            browser.findElement(By.cssSelector("#runs button.show-trace")).click();
            waiting(browser, 10).until(d -> !d.findElements(By.cssSelector("#runs .waterfall .span-line")).isEmpty());
            String waterfall = browser.findElement(By.cssSelector("#runs .waterfall")).getText();
            assertThat(waterfall).contains("/collect").contains("processor · field-notes")
                    .contains("rag-vector-ingest record").containsPattern("\\d+ ms");
            Browser.screenshot(browser, "console-trace");

            // inferences: the segment's analyses, newest first
            open(browser, "inferences");
            waiting(browser, 10).until(d -> new Select(d.findElement(By.id("inference-topic"))).getOptions().stream()
                    .anyMatch(o -> o.getText().equals(topic)));
            new Select(browser.findElement(By.id("inference-topic"))).selectByValue(topic);
            waiting(browser, 10).until(d -> new Select(d.findElement(By.id("inference-segment"))).getOptions().stream()
                    .anyMatch(o -> o.getText().equals("notes")));
            waiting(browser, 90).until(d -> {
                d.findElement(By.id("show-inferences")).click();
                return d.findElements(By.cssSelector("#inferences .inference")).size() == 3;
            });
            assertThat(browser.findElement(By.id("inferences")).getText()).contains("notes/ferry.txt")
                    .contains("extractive-minilm");
            Browser.screenshot(browser, "console-inferences");

            // back on the topics page: what the topic holds now, one record, chunk and inference per note
            open(browser, "topics");
            waiting(browser, 20).until(d -> {
                List<WebElement> rows = d.findElements(By.cssSelector("#topics tr[data-topic='" + topic + "']"));
                if (rows.size() == 1 && rows.get(0).findElement(By.className("records")).getText().equals("3")
                        && rows.get(0).findElement(By.className("chunks")).getText().equals("3")
                        && rows.get(0).findElement(By.className("inferences")).getText().equals("3")) {
                    return true;
                }
                if (!rows.isEmpty()) {
                    // shown with counts from before: show the view again (its rows come back with the answer: a
                    // look right after the click found none, every time the answer took longer than the click)
                    d.findElement(By.id("sign-in")).click();
                }
                return false;
            });
            Browser.screenshot(browser, "console-topics");

            // schedule: the entry with its next call
            open(browser, "schedule");
            waiting(browser, 10).until(d -> d.findElement(By.id("schedule")).getText().contains("weekly.json"));
            assertThat(browser.findElement(By.id("schedule")).getText()).contains("cron 0 0 3 ? * SUN");
            Browser.screenshot(browser, "console-schedule");

            // chat: a question answered from the notes, and where its first citation comes from
            open(browser, "chat");
            browser.findElement(By.id("topic")).sendKeys(topic);
            browser.findElement(By.id("question")).sendKeys("When does the night ferry start?");
            waiting(browser, 90).until(d -> {
                if (d.findElement(By.id("ask")).isEnabled() && !d.findElement(By.id("answer")).getText()
                        .contains("May")) {
                    d.findElement(By.id("ask")).click();
                }
                return d.findElement(By.id("answer")).getText().contains("May");
            });
            WebElement source = browser.findElements(By.cssSelector("#sources .source")).get(0);
            assertThat(source.getText()).contains("notes/ferry.txt");
            source.findElement(By.cssSelector("button.lineage")).click();
            waiting(browser, 20).until(d -> d.findElement(By.cssSelector("#sources .source .trace")).getText()
                    .contains("collection run"));
            // the citation's record's trace, from its lineage
            browser.findElement(By.cssSelector("#sources .source .trace button.show-trace")).click();
            assertThat(waiting(browser, 10).until(d -> d.findElement(By.cssSelector("#sources .source .waterfall")))
                    .getText()).contains("/collect").contains("rag-vector-ingest record");
            Browser.screenshot(browser, "console-chat");

            // dead letters: a record the analysis set aside, replayed from the page, analysed after all
            deadLetter("notes/late.txt", toJson(Map.of("topic", topic, "segment", "notes", "source", Map.of("kind",
                    "file", "id", "notes/late.txt"), "content_type", "text/plain", "content",
                    "Late note\n\nThe Feyport ferry terminal reopens in June after its roof repair.")));
            open(browser, "dead-letters");
            WebElement letter = waiting(browser, 10).until(d -> d.findElement(By.cssSelector("table.dlq[data-dlq='"
                    + llmDlq() + "'] tr[data-key='notes/late.txt']")));
            assertThat(letter.getText()).contains("503 after 5 tries").contains(dataTopic(topic));
            letter.findElement(By.cssSelector("button.replay")).click();
            browser.switchTo().alert().accept();
            waiting(browser, 15).until(d -> d.findElement(By.cssSelector("table.dlq[data-dlq='" + llmDlq()
                    + "'] tr[data-key='notes/late.txt']")).getText().contains("replayed"));
            Browser.screenshot(browser, "console-dead-letters");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> ((Number) get("/topics/"
                    + topic + "/segments/notes/inferences", "X-API-Key", ADMIN_KEY).json().get("total")).intValue() == 4);

            // nodes: one joined and waits; approved from the page, then revoked (with a confirmation)
            io.fineas.pipeline.support.TestNode node = io.fineas.pipeline.support.TestNode.honest(
                    uri("").toString().replaceAll("/$", ""), "Harbour Ops");
            assertThat(node.join().statusCode()).isEqualTo(201);
            open(browser, "nodes");
            WebElement nodeRow = browser.findElement(By.cssSelector("#nodes tr[data-node='" + node.id() + "']"));
            assertThat(nodeRow.getText()).contains("Harbour Ops").contains("pending").contains("no: the node is pending");
            nodeRow.findElement(By.cssSelector("button.approve")).click();
            waiting(browser, 10).until(d -> d.findElement(By.cssSelector("#nodes tr[data-node='" + node.id() + "']"))
                    .getText().contains("approved"));
            assertThat(get("/nodes/" + node.id(), "X-API-Key", ADMIN_KEY).json()).containsEntry("status", "approved");
            assertThat(node.pollResponse(0).statusCode()).isEqualTo(200);
            Browser.screenshot(browser, "console-nodes");
            browser.findElement(By.cssSelector("#nodes tr[data-node='" + node.id() + "'] button.revoke")).click();
            browser.switchTo().alert().accept();
            waiting(browser, 10).until(d -> d.findElement(By.cssSelector("#nodes tr[data-node='" + node.id() + "']"))
                    .getText().contains("revoked"));
            assertThat(node.pollResponse(0).statusCode()).isEqualTo(403);

            // health: every part ready, and each consumer group's lag
            open(browser, "health");
            assertThat(browser.findElement(By.id("ready")).getText()).contains("every part is ready");
            assertThat(browser.findElements(By.cssSelector("#lag tr[data-group='gateway-runs']"))).isNotEmpty();
            Browser.screenshot(browser, "console-health");

            // a key of another topic: its console shows nothing of this one
            String other = uniqueName("elsewhere");
            createTopic(other);
            String otherKey = (String) post("/keys", Map.of("name", "other team", "scopes", List.of("write:" + other)),
                    "X-API-Key", ADMIN_KEY).json().get("api_key");
            signIn(browser, otherKey);
            for (String view : List.of("topics", "processors", "runs", "inferences")) {
                open(browser, view);
                waiting(browser, 10).until(d -> view.equals(d.findElement(By.tagName("body")).getAttribute(
                        "data-loaded")));
                assertThat(browser.findElement(By.tagName("main")).getText()).as(view).doesNotContain(topic);
            }
            // the schedule, the dead letters and the health name every topic: refused, said so, nothing shown
            for (String view : List.of("schedule", "dead-letters", "health", "nodes")) {
                browser.findElement(By.cssSelector("nav a[data-view=" + view + "]")).click();
                waiting(browser, 10).until(d -> d.findElement(By.id("view-" + view)).isDisplayed()
                        && d.findElement(By.id("error")).getText().contains("forbidden"));
                assertThat(browser.findElement(By.tagName("main")).getText()).as(view).doesNotContain(topic)
                        .doesNotContain("weekly.json").doesNotContain("notes/late.txt").doesNotContain("Harbour Ops");
            }
        } finally {
            browser.quit();
        }
    }
}
