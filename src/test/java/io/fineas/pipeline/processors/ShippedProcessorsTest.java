package io.fineas.pipeline.processors;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The example processors shipped in processors-yaml/ load as they are: none misconfigured. */
class ShippedProcessorsTest {

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
}
