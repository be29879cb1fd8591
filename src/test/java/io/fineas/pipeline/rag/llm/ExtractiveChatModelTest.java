package io.fineas.pipeline.rag.llm;

import java.util.List;
import java.util.Map;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.fineas.pipeline.rag.SearchHit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The extractive model's answers hold the fact asked for: a heading is not an answer, a sentence that holds the
 * question's words wins over one that only shares its subject, and a sentence opening with a pronoun keeps the one
 * before it.
 */
class ExtractiveChatModelTest {

    private static ExtractiveChatModel model;
    private final Prompts prompts = new Prompts(null, 4000);

    @BeforeAll
    static void load() {
        model = new ExtractiveChatModel(new AllMiniLmL6V2EmbeddingModel(), 1);
    }

    private String ask(String question, String... passages) {
        List<SearchHit> hits = new java.util.ArrayList<>();
        for (int i = 0; i < passages.length; i++) {
            hits.add(new SearchHit("c" + i, 0.5, passages[i], Map.of("topic", "t", "segment", "s", "source",
                    "item-" + i)));
        }
        return model.chat(ChatRequest.builder().messages(prompts.chat(question, hits, List.of()).messages()).build())
                .aiMessage().text();
    }

    @Test
    void aHeadingIsNotGluedToTheSentenceUnderItNorGivenAsTheAnswer() {
        String answer = ask("Who did Zephyrine Cosmetics appoint as chief executive?",
                "Zephyrine Cosmetics names new CEO\n\nZephyrine Cosmetics appointed Mara Velde as chief executive on "
                        + "3 May. The board said the search took nine months.");
        assertThat(answer).isEqualTo("Zephyrine Cosmetics appointed Mara Velde as chief executive on 3 May. [1]");
    }

    @Test
    void aSentenceOpeningWithAPronounKeepsTheSentenceThatNamesWhoItIs() {
        String answer = ask("What happens to founder Henri Aubert?",
                "Zephyrine Cosmetics names new CEO\n\nZephyrine Cosmetics appointed Mara Velde as chief executive. "
                        + "She replaces founder Henri Aubert, who becomes chairman.");
        assertThat(answer).isEqualTo("Zephyrine Cosmetics appointed Mara Velde as chief executive. She replaces "
                + "founder Henri Aubert, who becomes chairman. [1]");
    }

    @Test
    void theQuestionsWordsHelpPickTheSentenceThatAnswers() {
        String answer = ask("In which month will the Nova 7X ship?",
                "Korvath Robotics unveils the Nova 7X\n\nKorvath Robotics unveiled the Nova 7X, a warehouse robot "
                        + "that lifts pallets on its own. It will ship in October at a price of 900 euros.",
                "Korvath Robotics reports figures\n\nKorvath Robotics reported revenue of 310 million euros.");
        assertThat(answer).contains("October").endsWith("[1]");
    }

    @Test
    void aWhenQuestionIsAnsweredByTheSentenceThatSaysWhen() {
        String answer = ask("When can customers get the Brio 5S from Corostis?",
                "Corostis Ceramics unveils the Brio 5S\n\nCorostis Ceramics unveiled the Brio 5S, a water filter that "
                        + "removes microplastics. It will ship in January at a price of 626 euros. Pre-orders opened "
                        + "in 10 countries.");
        assertThat(answer).contains("January");
        assertThat(ExtractiveChatModel.holdsTheKindAsked("How large was the turnover?", "Revenue was 444 million."))
                .isTrue();
        assertThat(ExtractiveChatModel.holdsTheKindAsked("Where is the plant?", "It will be built in Kelmora."))
                .isTrue();
        assertThat(ExtractiveChatModel.holdsTheKindAsked("Who leads it?", "It will be built in Kelmora.")).isFalse();
    }

    @Test
    void aSentenceIsNeverGivenTwice() {
        ExtractiveChatModel three = new ExtractiveChatModel(new AllMiniLmL6V2EmbeddingModel(), 3);
        String answer = three.chat(ChatRequest.builder().messages(prompts.chat("When does the Brio 5S ship?",
                List.of(new SearchHit("c", 0.5, "Corostis unveiled the Brio 5S, a water filter. It will ship in "
                        + "January. Pre-orders opened in 10 countries.", Map.of("topic", "t", "segment", "s",
                        "source", "x"))), List.of()).messages()).build()).aiMessage().text();
        assertThat(answer).contains("January");
        assertThat(answer.indexOf("Corostis unveiled")).isEqualTo(answer.lastIndexOf("Corostis unveiled"));
    }

    @Test
    void aPassageThatIsOnlyALineOfDataIsStillAnAnswer() {
        assertThat(ask("What is the ACME price?", "ticker: ACME\nprice: 101.5")).contains("101.5");
        assertThat(ask("Is there a quarterly update?", "Quarterly update")).contains("Quarterly update");
    }

    @Test
    void contentWordsAndTheirShare() {
        assertThat(ExtractiveChatModel.words("When will the Nova 7X ship to buyers?"))
                .containsExactlyInAnyOrder("nova", "7x", "ship", "buyer");
        assertThat(ExtractiveChatModel.words("creating creates created create"))
                .as("a light stemmer: one word for its commonest endings").containsExactly("creat");
        java.util.Set<String> held = ExtractiveChatModel.words("The Nova ships to buyers.");
        assertThat(ExtractiveChatModel.wordShare(ExtractiveChatModel.weights(ExtractiveChatModel.words(
                "Nova ship buyer"), List.of(held)), held)).isEqualTo(1.0);
        assertThat(ExtractiveChatModel.joinWrappedLines("Heading\n\nFirst line\ngoes on. Second.\n\nTail."))
                .containsExactly("First line goes on. Second.", "Tail.");
    }

    private String ask2(String question, String... passages) {
        ExtractiveChatModel two = new ExtractiveChatModel(new AllMiniLmL6V2EmbeddingModel(), 3);
        List<SearchHit> hits = new java.util.ArrayList<>();
        for (int i = 0; i < passages.length; i++) {
            hits.add(new SearchHit("c" + i, 0.5, passages[i], Map.of("topic", "t", "segment", "s", "source",
                    "page-" + i)));
        }
        return two.chat(ChatRequest.builder().messages(prompts.chat(question, hits, List.of()).messages()).build())
                .aiMessage().text();
    }

    @Test
    void theSameSentenceInTwoOverlappingPassagesIsGivenOnceWithOneCitation() {
        String shared = "Attempts to store values outside of the allowed range will result in an error.";
        String answer = ask2("What happens when a value is outside the allowed range?",
                "# Numeric Types\n\nThe types smallint and integer store whole numbers. " + shared,
                "# Numeric Types\n\n" + shared + " The type integer is the common choice.");
        assertThat(ExtractiveChatModel.normal(answer.replaceAll("\\[\\d+]", "")))
                .as(answer).containsOnlyOnce(ExtractiveChatModel.normal(shared));
        assertThat(answer).as("at most two sentences").matches("^[^\\[]+\\[\\d+](?: [^\\[]+\\[\\d+])?$");
    }

    @Test
    void headingsTablesOfContentsAndVerblessFragmentsAreNeverAnswers() {
        assertThat(ExtractiveChatModel.answerable("8.1.2. Arbitrary Precision Numbers")).isFalse();
        assertThat(ExtractiveChatModel.answerable("Table 8.2. Numeric Types")).isFalse();
        assertThat(ExtractiveChatModel.answerable("Source code: Lib/heapq.py")).isFalse();
        assertThat(ExtractiveChatModel.answerable("roots = list(map(operator.neg, roots)) return [sum(x) for x in r]"))
                .as("a line of code").isFalse();
        assertThat(ExtractiveChatModel.answerable("The default is typically 128 megabytes.")).isTrue();
        assertThat(ExtractiveChatModel.answerable("-a, --annotate: Make an unsigned, annotated tag object.")).isTrue();
        assertThat(ExtractiveChatModel.answerable("smallint — Storage Size: 2 bytes; Range: -32768 to +32767."))
                .as("a table row with its headers").isTrue();
        String answer = ask2("Which index types does PostgreSQL provide?",
                "# 11.2. Index Types\n\n11.2.1. B-Tree\n\n11.2.2. Hash\n\nPostgreSQL provides several index types: "
                        + "B-tree, Hash, GiST, SP-GiST, GIN, BRIN, and the extension bloom.");
        assertThat(answer).contains("GiST").doesNotContain("11.2");
    }

    @Test
    void theSentenceThatNamesTheAskedForThingWinsOverAMoreGeneralOne() {
        String answer = ask2("Which setting logs statements that run longer than a given time?",
                "# Error Reporting and Logging\n\nLogging the duration of statements helps to find slow queries. Many "
                        + "settings control what is logged and when.\n\nlog_min_duration_statement (integer): Causes "
                        + "the duration of each completed statement to be logged if the statement ran for at least the "
                        + "specified amount of time.");
        assertThat(answer).contains("log_min_duration_statement");
        String defined = ask2("What is the typical default for shared_buffers?",
                "# Resource Consumption\n\nshared_buffers (integer): Sets the amount of memory the database server "
                        + "uses for shared memory buffers. The default is typically 128 megabytes (128MB), but might be "
                        + "less if your kernel settings will not support it.\n\nLarger settings for shared_buffers "
                        + "usually require a corresponding increase in max_wal_size.");
        assertThat(defined).as("a sentence of a definition is given with the sentence naming its term")
                .contains("128 megabytes").contains("shared_buffers (integer): Sets the amount");
    }

    @Test
    void aCodeBlockIsGivenOnlyAfterTheSentenceThatIntroducesIt() {
        String answer = ask2("How do I create a virtual environment?",
                "# venv\n\nCreation of virtual environments is done by executing the command venv:\n\n```\n"
                        + "python -m venv /path/to/new/virtual/environment\n```\n\nRunning this command creates the "
                        + "target directory.");
        assertThat(answer).contains("command venv: python -m venv /path/to/new/virtual/environment");
        String code = ask2("What does the example print?", "# Examples\n\n```\n>>> print(divmod(7, 2))\n(3, 1)\n```"
                + "\n\nThe function divmod returns the quotient and the remainder.");
        assertThat(code).doesNotContain(">>>");
    }

    @Test
    void twoSentencesAreComposedInDocumentOrder() {
        String answer = ask2("When does the Brio 5S ship and what does it cost?",
                "Corostis unveiled the Brio 5S water filter. It costs 626 euros in every market.\n\nThe Brio 5S "
                        + "ships in January to ten countries.");
        assertThat(answer).contains("626 euros").contains("January");
        assertThat(answer.indexOf("626 euros")).isLessThan(answer.indexOf("January"));
    }
}
