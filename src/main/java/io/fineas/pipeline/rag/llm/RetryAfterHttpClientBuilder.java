package io.fineas.pipeline.rag.llm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.jdk.JdkHttpClientBuilder;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;

/**
 * langchain4j's JDK HTTP client for the LLM providers, honouring Retry-After: a 429 or 503 answer that asks the
 * caller to wait (seconds or an HTTP date, at most {@code maxWait}) is held for that long before the failure is
 * reported, so the retry that follows comes no sooner than the provider asked. langchain4j's own client drops the
 * header before its exception reaches the caller, hence this one. Streaming calls go to langchain4j's client as they
 * are.
 */
public final class RetryAfterHttpClientBuilder implements HttpClientBuilder {

    private final JdkHttpClientBuilder jdk = new JdkHttpClientBuilder();
    private final Duration maxWait;

    public RetryAfterHttpClientBuilder(Duration maxWait) {
        this.maxWait = maxWait;
    }

    @Override
    public Duration connectTimeout() {
        return jdk.connectTimeout();
    }

    @Override
    public HttpClientBuilder connectTimeout(Duration timeout) {
        jdk.connectTimeout(timeout);
        return this;
    }

    @Override
    public Duration readTimeout() {
        return jdk.readTimeout();
    }

    @Override
    public HttpClientBuilder readTimeout(Duration timeout) {
        jdk.readTimeout(timeout);
        return this;
    }

    @Override
    public HttpClient build() {
        HttpClient streaming = jdk.build();
        java.net.http.HttpClient.Builder b = java.net.http.HttpClient.newBuilder();
        if (jdk.connectTimeout() != null) {
            b.connectTimeout(jdk.connectTimeout());
        }
        java.net.http.HttpClient http = b.build();
        Duration readTimeout = jdk.readTimeout();
        return new HttpClient() {
            @Override
            public SuccessfulHttpResponse execute(HttpRequest request) {
                java.net.http.HttpRequest.Builder r = java.net.http.HttpRequest.newBuilder(URI.create(request.url()))
                        .method(request.method().name(), request.body() == null
                                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                                : java.net.http.HttpRequest.BodyPublishers.ofString(request.body()));
                if (readTimeout != null) {
                    r.timeout(readTimeout);
                }
                request.headers().forEach((name, values) -> values.forEach(v -> r.header(name, v)));
                HttpResponse<String> response;
                try {
                    response = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
                } catch (IOException e) {
                    // the provider out of reach (refused, reset, unknown host): an outage, retriable by its kind
                    throw new RetriableException("the model provider cannot be reached: " + e, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while calling the model provider", e);
                }
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return SuccessfulHttpResponse.builder().statusCode(status).headers(response.headers().map())
                            .body(response.body()).build();
                }
                if (status == 429 || status == 503) {
                    response.headers().firstValue("Retry-After").map(RetryAfterHttpClientBuilder::parse)
                            .map(d -> d.compareTo(maxWait) > 0 ? maxWait : d).ifPresent(RetryAfterHttpClientBuilder::pause);
                }
                throw new HttpException(status, response.body());
            }

            @Override
            public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
                streaming.execute(request, parser, listener);
            }
        };
    }

    /** Retry-After as delay-seconds or an HTTP date; null when it is neither. */
    static Duration parse(String value) {
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(ZonedDateTime.now(),
                        ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME));
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException ignored) {
                return null;
            }
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
