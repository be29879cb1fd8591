package io.fineas.pipeline.processors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Processor configs as the catalog loads them, without an application: the shipped examples load as they are, every
 * setting reaches the config, and each kind of mistake is reported with its file and a reason that names it (the
 * schema's words, schemas/config/processor-config.schema.json, then the checks a schema cannot make).
 */
class ProcessorCatalogTest {

    @TempDir
    Path folder;

    @Test
    void theShippedExamplesAllLoad() {
        ProcessorCatalog catalog = new ProcessorCatalog(Path.of("processors-yaml"), 20, 4, 2, UnaryOperator.identity())
                .load();

        assertThat(catalog.problems()).isEmpty();
        assertThat(catalog.configs()).extracting(ProcessorConfig::id)
                .containsExactly("company-news", "quotes", "research-notes");
        assertThat(catalog.configs()).allSatisfy(c -> {
            assertThat(c.topic()).isEqualTo("finance");
            assertThat(c.items()).isNotEmpty();
        });
        ProcessorConfig quotes = catalog.configs().get(1);
        assertThat(quotes.rateLimit()).isEqualTo(5);
        assertThat(quotes.ratePeriodMs()).isEqualTo(1000);
    }

    @Test
    void everySettingReachesTheConfigAndDefaultsFillTheRest() throws IOException {
        write("items.data.json", "[{\"ticker\": \"AAPL\"}]");
        write("full.yaml", """
                id: full-feed
                topic: finance
                segment: news
                data_list: items.data.json
                source:
                  kind: http
                  url: "https://example.org/{ticker}"
                  headers: {X-Api-Key: "secret-{{env:TOKEN}}"}
                  allow_private_network: true
                  redirect_hosts: [Mirror.Example.org]
                  max_response_bytes: 1000
                  deadline_ms: 2500
                batch_size: 5
                workers: 3
                retries: 0
                rate_limit: {requests: 2, per_seconds: 0.5}
                """);
        write("plain.json", "{\"topic\": \"finance\", \"segment\": \"plain\", \"data_list\": \"items.data.json\","
                + " \"source\": {\"kind\": \"rss\", \"url\": \"https://example.org/rss/{ticker}\"}}");

        ProcessorCatalog catalog = catalog().load();

        assertThat(catalog.problems()).isEmpty();
        ProcessorConfig full = catalog.configs().get(0);
        assertThat(full.id()).isEqualTo("full-feed");
        assertThat(full.headers()).containsExactly(Map.entry("X-Api-Key", "secret-resolved"));
        assertThat(full.guard()).isEqualTo(new CaptureGuard.Rules(true, Set.of("mirror.example.org"), 1000,
                Duration.ofMillis(2500)));
        assertThat(full).extracting(ProcessorConfig::batchSize, ProcessorConfig::workers, ProcessorConfig::retries,
                ProcessorConfig::rateLimit, ProcessorConfig::ratePeriodMs).containsExactly(5, 3, 0, 2, 500L);
        ProcessorConfig plain = catalog.configs().get(1);
        assertThat(plain.id()).isEqualTo("plain");
        assertThat(plain.guard()).isEqualTo(CaptureGuard.Rules.defaults());
        assertThat(plain).extracting(ProcessorConfig::batchSize, ProcessorConfig::workers, ProcessorConfig::retries,
                ProcessorConfig::rateLimit).containsExactly(20, 4, 2, 0);
    }

    @Test
    void eachMistakeIsReportedWithItsFileAndTheOthersLoad() throws IOException {
        write("items.data.json", "[{\"ticker\": \"AAPL\"}]");
        write("notes.data.json", "[{\"path\": \"a.txt\"}]");
        String ok = "topic: finance\nsegment: x\ndata_list: items.data.json\n";
        write("good.yaml", ok + "source: {kind: http, url: \"https://example.org/{ticker}\"}\n");
        write("broken.yaml", "topic: [unclosed\n");
        write("empty.yaml", "");
        write("ftp.yaml", ok + "source: {kind: ftp}\n");
        write("no-source.yaml", "topic: finance\nsegment: x\ndata_list: items.data.json\n");
        write("no-url.yaml", ok + "source: {kind: rss}\n");
        write("bad-url.yaml", ok + "source: {kind: http, url: \"file:///etc/passwd\"}\n");
        write("bad-name.yaml", "topic: Finance\nsegment: x\ndata_list: items.data.json\nsource: {kind: file}\n");
        write("typo.yaml", ok + "worker: 4\nsource: {kind: http, url: \"https://example.org/{ticker}\"}\n");
        write("bad-limit.yaml", ok + "rate_limit: {requests: 0}\nsource: {kind: http, url: \"https://x.org/{ticker}\"}\n");
        write("bad-batch.yaml", ok + "batch_size: 1.5\nsource: {kind: http, url: \"https://x.org/{ticker}\"}\n");
        write("bad-header.yaml", ok + "source: {kind: http, url: \"https://x.org/{ticker}\", headers: {X-N: 3}}\n");
        write("unset-secret.yaml", ok + "source: {kind: http, url: \"https://x.org/{ticker}\","
                + " headers: {Authorization: \"Bearer {{env:UNSET}}\"}}\n");
        write("missing-var.yaml", ok + "source: {kind: http, url: \"https://x.org/{isin}\"}\n");
        write("escape.yaml", "topic: finance\nsegment: x\ndata_list: ../../etc/passwd\nsource: {kind: file}\n");
        write("no-path.yaml", ok + "source: {kind: file}\n");
        write("bad-list.yaml", "topic: finance\nsegment: x\ndata_list: bad.data.json\nsource: {kind: file}\n");
        write("bad.data.json", "{\"not\": \"a list\"}");
        write("twin.yaml", "id: good\n" + ok + "source: {kind: http, url: \"https://example.org/{ticker}\"}\n");

        ProcessorCatalog catalog = catalog().load();

        assertThat(catalog.configs()).extracting(ProcessorConfig::id).containsExactly("good");
        Map<String, String> reasons = catalog.problems().stream()
                .collect(Collectors.toMap(ProcessorCatalog.Problem::file, ProcessorCatalog.Problem::reason));
        assertThat(reasons).containsOnlyKeys("broken.yaml", "empty.yaml", "ftp.yaml", "no-source.yaml",
                "no-url.yaml", "bad-url.yaml", "bad-name.yaml", "typo.yaml", "bad-limit.yaml", "bad-batch.yaml",
                "bad-header.yaml", "unset-secret.yaml", "missing-var.yaml", "escape.yaml", "no-path.yaml",
                "bad-list.yaml", "twin.yaml");
        assertThat(reasons.get("broken.yaml")).startsWith("not valid YAML");
        assertThat(reasons.get("empty.yaml")).isEqualTo("the file is empty");
        assertThat(reasons.get("ftp.yaml")).contains("unknown source kind").contains("'ftp'");
        assertThat(reasons.get("no-source.yaml")).contains("'source' is required");
        assertThat(reasons.get("no-url.yaml")).contains("source.url is required");
        assertThat(reasons.get("bad-url.yaml")).contains("source.url").contains("'file:///etc/passwd'");
        assertThat(reasons.get("bad-name.yaml")).contains("valid names").contains("'Finance'");
        assertThat(reasons.get("typo.yaml")).contains("unknown setting").contains("'worker'");
        assertThat(reasons.get("bad-limit.yaml")).contains("rate_limit").contains("'0'");
        assertThat(reasons.get("bad-batch.yaml")).contains("'batch_size' must be a positive whole number");
        assertThat(reasons.get("bad-header.yaml")).contains("source.headers: every value must be a string");
        assertThat(reasons.get("unset-secret.yaml")).contains("source.headers.Authorization").contains("UNSET");
        assertThat(reasons.get("missing-var.yaml")).contains("has no 'isin'");
        assertThat(reasons.get("escape.yaml")).contains("outside the processors folder");
        assertThat(reasons.get("no-path.yaml")).contains("has no 'path'");
        assertThat(reasons.get("bad-list.yaml")).contains("must be a JSON array");
        assertThat(reasons.get("twin.yaml")).contains("already has the id 'good'");
    }

    @Test
    void aUrlMayOpenWithAPlaceholderResolvedAtLoadAndMustStillBeHttp() throws IOException {
        write("pages.data.json", "[{\"page\": \"intro.html\"}]");
        write("site.yaml", "topic: docs\nsegment: site\ndata_list: pages.data.json\nsource:\n  kind: http\n"
                + "  url: \"{{env:SITE_URL}}/{page}\"\n");
        write("unset.yaml", "topic: docs\nsegment: unset\ndata_list: pages.data.json\nsource:\n  kind: http\n"
                + "  url: \"{{env:UNSET}}/{page}\"\n");
        write("local.yaml", "topic: docs\nsegment: local\ndata_list: pages.data.json\nsource:\n  kind: http\n"
                + "  url: \"{{env:LOCAL_PATH}}/{page}\"\n");

        ProcessorCatalog catalog = catalog().load();

        assertThat(catalog.configs()).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo("site");
            assertThat(c.urlTemplate()).isEqualTo("https://docs.example.org/{page}");
        });
        Map<String, String> reasons = new java.util.HashMap<>();
        catalog.problems().forEach(p -> reasons.put(p.file(), p.reason()));
        assertThat(reasons.get("unset.yaml")).contains("source.url").contains("UNSET");
        assertThat(reasons.get("local.yaml")).contains("not an http(s) URL once resolved");
    }

    private ProcessorCatalog catalog() {
        // the application resolves with Camel's placeholders; an unset one fails the same way
        return new ProcessorCatalog(folder, 20, 4, 2, value -> {
            if (value.contains("{{env:UNSET}}")) {
                throw new IllegalArgumentException("property with key [env:UNSET] not found");
            }
            return value.replace("{{env:TOKEN}}", "resolved").replace("{{env:SITE_URL}}", "https://docs.example.org")
                    .replace("{{env:LOCAL_PATH}}", "/srv/site");
        });
    }

    private void write(String name, String content) throws IOException {
        Files.writeString(folder.resolve(name), content);
    }
}
