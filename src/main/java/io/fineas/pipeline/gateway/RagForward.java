package io.fineas.pipeline.gateway;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.fineas.pipeline.common.ApiException;
import org.apache.camel.Header;

/**
 * Where a gateway without the RAG role sends the RAG service's read endpoints that the console uses ({@code POST
 * /search}, {@code GET /lineage/{chunk_id}}), so that the three services serve them from one origin
 * (routes/gateway-rag/). The RAG service authorizes and rate-limits them as it does when asked directly.
 */
public final class RagForward {

    private final String base;

    /**
     * @param ragUrl the RAG service's API, scheme, host and port only ({@code RAG_URL}, e.g. http://rag:8080), or
     *     blank when this gateway has none to forward to
     * @throws IllegalArgumentException when it is not such a URL
     */
    public RagForward(String ragUrl) {
        String url = ragUrl == null ? "" : ragUrl.strip();
        if (!url.isEmpty()) {
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("RAG_URL is not a URL: " + url);
            }
            boolean bare = (uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/"))
                    && uri.getQuery() == null && uri.getFragment() == null && uri.getUserInfo() == null;
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || !bare) {
                throw new IllegalArgumentException("RAG_URL must be the RAG service's http(s)://host:port, with no "
                        + "path, query or credentials: " + url);
            }
            url = uri.getScheme() + "://" + uri.getRawAuthority();
        }
        this.base = url;
    }

    /** The RAG service's API (scheme, host and port) to send to. */
    public String base() {
        if (base.isEmpty()) {
            throw ApiException.unavailable("this gateway runs without the RAG service: set RAG_URL to forward "
                    + "/search and /lineage to it");
        }
        return base;
    }

    /**
     * The path of a chunk's lineage on the RAG service: the id is one path segment whatever it holds (a slash or
     * "..", encoded or not, never reaches another path of the service).
     */
    public String lineagePath(@Header("chunk_id") String chunkId) {
        if (chunkId == null || chunkId.isEmpty() || chunkId.length() > 200 || chunkId.equals(".")
                || chunkId.equals("..")) {
            throw ApiException.notFound("no chunk '" + (chunkId == null ? "" : chunkId) + "'");
        }
        return "/lineage/" + URLEncoder.encode(chunkId, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Thrown when the RAG service does not answer (refused, unreachable, timed out). */
    public void unreachable() {
        throw new ApiException(503, "unavailable", "the RAG service does not answer; try again shortly",
                Duration.ofSeconds(5));
    }
}
