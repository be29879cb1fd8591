package io.fineas.pipeline.processors;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import com.rometools.rome.feed.synd.SyndContent;
import com.rometools.rome.feed.synd.SyndEntry;
import com.rometools.rome.feed.synd.SyndFeed;
import io.fineas.pipeline.common.Hashes;
import io.fineas.pipeline.messages.CaptureFailure;
import io.fineas.pipeline.messages.CapturedRecord;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.apache.camel.language.simple.Simple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a run captures, called from the capture routes: the URL of an item, the records of a capture by source kind
 * (an HTTP answer, a feed's entries, a file or a folder's files: the raw content plus where it comes from), and the
 * dead letter of an item that could not be captured.
 */
public final class CaptureRecords {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureRecords.class);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_]+)}");

    /** The item's URL: the source's template with {name} replaced by the item's URL-encoded values. */
    public String url(@Variable("run") ProcessorRun run, @Variable("item") Map<String, Object> item) {
        Matcher m = PLACEHOLDER.matcher(run.getConfig().urlTemplate());
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(
                    URLEncoder.encode(String.valueOf(item.get(m.group(1))), StandardCharsets.UTF_8)));
        }
        return m.appendTail(out).toString();
    }

    /** One record: the raw content of one capture plus the run's and the source's metadata. */
    public CapturedRecord record(ProcessorRun run, Map<String, Object> item, String sourceId, String content,
            String contentType, CapturedRecord.Extra extra) {
        ProcessorConfig config = run.getConfig();
        return CapturedRecord.of(config.topic(), config.segment(), run.getProcessorId(), run.getRunId(), run.getRequestedBy(),
                run.getGeneration(), item, new CapturedRecord.Source(run.getKind(), sourceId), Instant.now().toString(),
                contentType == null ? "application/octet-stream" : contentType, Hashes.sha256Hex(content), extra,
                content);
    }

    public List<CapturedRecord> httpRecords(@Variable("run") ProcessorRun run,
            @Variable("item") Map<String, Object> item, @Variable("url") String url, @Body String content,
            @Header("Content-Type") String contentType) {
        return List.of(record(run, item, url, content == null ? "" : content, contentType, CapturedRecord.Extra.NONE));
    }

    /** One record per feed entry (RSS or Atom): its title and text, with its link as the source identity. */
    public List<CapturedRecord> rssRecords(@Variable("run") ProcessorRun run,
            @Variable("item") Map<String, Object> item, @Variable("url") String url, @Body SyndFeed feed) {
        List<CapturedRecord> out = new ArrayList<>();
        for (SyndEntry e : feed.getEntries()) {
            StringBuilder text = new StringBuilder(e.getTitle() == null ? "" : e.getTitle().trim());
            if (e.getDescription() != null && e.getDescription().getValue() != null) {
                text.append("\n\n").append(e.getDescription().getValue().trim());
            }
            for (SyndContent c : e.getContents()) {
                if (c.getValue() != null) {
                    text.append("\n\n").append(c.getValue().trim());
                }
            }
            // Atom entries may carry only <updated>
            java.util.Date published = e.getPublishedDate() != null ? e.getPublishedDate() : e.getUpdatedDate();
            CapturedRecord.Extra extra = new CapturedRecord.Extra(e.getTitle(), e.getLink(),
                    published == null ? null : published.toInstant().toString(), url, null);
            String id = e.getLink() != null ? e.getLink() : e.getUri() != null ? e.getUri() : url + "#" + e.getTitle();
            out.add(record(run, item, id, text.toString(), "text/html", extra));
        }
        return out;
    }

    /**
     * file source: reads the item's "path" under the processor's root: a file gives one record, a folder one record
     * per file in it and its subfolders (hidden ones left out), in path order. Java rather than the file component
     * because the path comes from data and must be refused when it leaves the root, by its name or through a symbolic
     * link (read by its real path). A file that is not UTF-8 text fails the item, naming the file.
     */
    public List<CapturedRecord> fileRecords(@Variable("run") ProcessorRun run,
            @Variable("item") Map<String, Object> item) throws IOException {
        Path root = run.getConfig().root();
        Path target = root.resolve(String.valueOf(item.get("path"))).toAbsolutePath().normalize();
        if (!target.startsWith(root)) {
            throw new IllegalArgumentException("path '" + item.get("path") + "' is outside the source root");
        }
        // a symbolic link (the path itself, a folder on the way, a file in a folder) must not lead out of the root
        Path realRoot = root.toRealPath();
        if (Files.exists(target) && !target.toRealPath().startsWith(realRoot)) {
            throw new IllegalArgumentException("path '" + item.get("path") + "' links outside the source root");
        }
        List<Path> files;
        if (Files.isDirectory(target)) {
            try (Stream<Path> walk = Files.walk(target)) {
                files = walk.filter(Files::isRegularFile)
                        .filter(f -> StreamSupport.stream(target.relativize(f).spliterator(), false)
                                .noneMatch(part -> part.toString().startsWith(".")))
                        .sorted().toList();
            }
        } else {
            files = List.of(target);
        }
        for (Path file : files) {
            if (Files.exists(file) && !file.toRealPath().startsWith(realRoot)) {
                throw new IllegalArgumentException("'" + root.relativize(file) + "' links outside the source root");
            }
        }
        List<CapturedRecord> out = new ArrayList<>();
        for (Path file : files) {
            String content;
            try {
                content = Files.readString(file);
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("'" + root.relativize(file) + "' is not UTF-8 text");
            }
            String type = Files.probeContentType(file);
            out.add(record(run, item, root.relativize(file).toString(), content, type != null ? type : "text/plain",
                    new CapturedRecord.Extra(null, null, null, null, file.getFileName().toString())));
        }
        return out;
    }

    /** The dead-letter record of an item that could not be captured. */
    public CaptureFailure failure(@Variable("run") ProcessorRun run, @Variable("item") Map<String, Object> item,
            @Simple("${exception}") Throwable error) {
        run.failed();
        ProcessorConfig config = run.getConfig();
        // the fault itself, not Camel's wrapping of the bean call that met it
        Throwable fault = error;
        while (fault instanceof org.apache.camel.RuntimeCamelException && fault.getCause() != null) {
            fault = fault.getCause();
        }
        String reason = fault == null ? "unknown" : fault.getClass().getSimpleName() + ": " + fault.getMessage();
        LOG.warn("Processor {} run {}: item {} failed: {}", run.getProcessorId(), run.getRunId(), item, reason);
        return new CaptureFailure(config.topic(), config.segment(), run.getProcessorId(), run.getRunId(),
                run.getGeneration(), item, new CapturedRecord.Source(run.getKind(), null), Instant.now().toString(),
                reason);
    }
}
