package io.fineas.pipeline.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.messages.ChatQuestion;
import io.fineas.pipeline.messages.ChatReply;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Questions waiting for their answers: bounded per key and in all, answered by their own reply only, or timed out. */
class ChatRequestsTest {

    private static final ApiKeys.Caller ALICE = new ApiKeys.Caller("k-alice", "alice", List.of("read:*"));
    private static final ApiKeys.Caller BOB = new ApiKeys.Caller("k-bob", "bob", List.of("read:*"));

    private static Map<String, Object> ask(String question) {
        return Map.of("question", question, "session_id", "s1");
    }

    /** Runs the waiting step for a question; the exchange once it is done. */
    private static Exchange await(ChatRequests requests, ChatQuestion question, Runnable meanwhile) throws Exception {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setVariable("request", question);
        CountDownLatch done = new CountDownLatch(1);
        boolean sync = requests.awaitAnswer().process(exchange, doneSync -> done.countDown());
        assertThat(sync).as("the step waits without holding the thread").isFalse();
        meanwhile.run();
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        return exchange;
    }

    @Test
    void aQuestionCarriesTheKeysSessionAndIsAnsweredByItsOwnReplyOnly() throws Exception {
        ChatRequests requests = new ChatRequests(Duration.ofSeconds(5), 8, 256);
        ChatQuestion mine = requests.request(ask("Who shipped?"), ALICE);
        assertThat(mine.sessionId()).isEqualTo("k-alice:s1");
        assertThat(mine.question()).isEqualTo("Who shipped?");

        Exchange exchange = await(requests, mine, () -> {
            requests.complete(ChatReply.answered("someone-else", "not yours", List.of(), "m", 1, null));
            requests.complete(ChatReply.answered(mine.correlationId(), "Acme shipped [1]", List.of(), "m", 3,
                    new io.fineas.pipeline.messages.ModelUsage(40, 4)));
        });

        assertThat(exchange.getException()).isNull();
        ChatRequests.Answer answer = exchange.getMessage().getBody(ChatRequests.Answer.class);
        assertThat(answer.answer()).isEqualTo("Acme shipped [1]");
        assertThat(answer.latencyMs()).isEqualTo(3);
        assertThat(answer.usage().total()).isEqualTo(44);
        assertThat(mine.keyId()).isEqualTo("k-alice");
        // what the client gets is the answer without the correlation between gateway and chat service
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(answer).fieldNames())
                .toIterable().containsExactly("answer", "sources", "model", "latency_ms", "usage");
        assertThat(requests.waiting()).isZero();
    }

    @Test
    void aFailedReplyIsA503AndNoReplyInTimeA504() throws Exception {
        ChatRequests requests = new ChatRequests(Duration.ofMillis(300), 8, 256);
        ChatQuestion failed = requests.request(ask("Anyone?"), ALICE);
        Exchange unavailable = await(requests, failed, () -> requests.complete(
                ChatReply.failed(failed.correlationId(), "llm_unavailable", "circuit open")));
        assertThat(((ApiException) unavailable.getException()).getStatus()).isEqualTo(503);
        assertThat(unavailable.getException().getMessage()).doesNotContain("circuit open");

        Exchange late = await(requests, requests.request(ask("Anyone?"), ALICE), () -> { });
        assertThat(((ApiException) late.getException()).getStatus()).isEqualTo(504);
        assertThat(requests.waiting()).isZero();
    }

    @Test
    void waitingQuestionsAreBoundedPerKeyAndInAll() {
        ChatRequests requests = new ChatRequests(Duration.ofSeconds(5), 2, 3);
        requests.request(ask("1"), ALICE);
        requests.request(ask("2"), ALICE);
        ApiException perKey = catchThrowableOfType(() -> requests.request(ask("3"), ALICE), ApiException.class);
        assertThat(perKey.getStatus()).isEqualTo(429);
        assertThat(perKey.getRetryAfterSeconds()).isPositive();
        // another key still asks, until all waiting questions are the limit
        requests.request(ask("4"), BOB);
        ApiException all = catchThrowableOfType(() -> requests.request(ask("5"), BOB), ApiException.class);
        assertThat(all.getStatus()).isEqualTo(503);
        assertThat(requests.waiting()).isEqualTo(3);
    }
}
