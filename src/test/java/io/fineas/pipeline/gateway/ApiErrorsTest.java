package io.fineas.pipeline.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fineas.pipeline.common.ApiException;
import org.apache.camel.RuntimeCamelException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** What a client is told of a failure: the innermost ApiException, a JSON problem's place, never internals. */
class ApiErrorsTest {

    private final ApiErrors errors = new ApiErrors();

    @Test
    void theInnermostApiExceptionIsTheAnswer() {
        ApiException notFound = ApiException.notFound("no topic 'x'");
        Throwable wrapped = new RuntimeCamelException(new IllegalStateException("bean call", notFound));
        assertThat(errors.describe(wrapped)).isSameAs(notFound);
    }

    @Test
    void invalidJsonIsA400ThatSaysWhereNotWhat() {
        Throwable parse = catchThrowable(() -> new ObjectMapper().readTree("{\"api_key\": fpk_secretsecret}"));
        ApiException answer = errors.describe(parse);
        assertThat(answer.getStatus()).isEqualTo(400);
        assertThat(answer.getMessage()).contains("line 1, column").doesNotContain("fpk_secret");
    }

    @Test
    void anyOtherFailureIsA500WithAReferenceAndNoneOfItsText() {
        ApiException answer = errors.describe(new IllegalStateException("mongodb://admin:hunter2@db:27017 refused"));
        assertThat(answer.getStatus()).isEqualTo(500);
        assertThat(answer.getMessage()).contains("reference").doesNotContain("hunter2").doesNotContain("mongodb");
    }
}
