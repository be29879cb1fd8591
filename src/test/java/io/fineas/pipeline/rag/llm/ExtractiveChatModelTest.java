package io.fineas.pipeline.rag.llm;

import java.util.List;
import java.util.Map;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.e5smallv2q.E5SmallV2QuantizedEmbeddingModel;
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

    @Test
    void aFigureTheQuestionWritesPicksTheSentenceThatWritesItWhole() {
        assertThat(ExtractiveChatModel.figures("Recalls of 52,000 units in 2019 (version 3.11), at 10:30."))
                .containsExactlyInAnyOrder("52,000", "2019", "3.11", "10:30");
        String[] passages = {"Morvane Audio is recalling 53,000 units of its headphones after reports of overheating "
                + "batteries. The recall is expected to cost about 12 million euros.", "Tessaline Foods is recalling "
                + "52,000 units of its granola after reports of undeclared nuts. The recall is expected to cost about 4 "
                + "million euros."};
        ExtractiveChatModel e5 = new ExtractiveChatModel(new AllMiniLmL6V2EmbeddingModel(),
                ExtractiveChatModel.Reader.e5(new E5SmallV2QuantizedEmbeddingModel()), 1);
        for (ExtractiveChatModel reader : List.of(model, e5)) {
            List<SearchHit> hits = List.of(new SearchHit("c0", 0.5, passages[0], Map.of("source", "a")),
                    new SearchHit("c1", 0.5, passages[1], Map.of("source", "b")));
            String answer = reader.chat(ChatRequest.builder().messages(prompts.chat("Whose recall covers 52,000 units?",
                    hits, List.of()).messages()).build()).aiMessage().text();
            // without the figure's weight e5 answered with the 53,000 units
            assertThat(answer).startsWith("Tessaline Foods is recalling 52,000 units");
        }
    }

    @Test
    void aQuestionIsReadByTheReaderWithItsPrefixesAndAnAnalysisByTheEmbeddingModel() {
        AllMiniLmL6V2EmbeddingModel minilm = new AllMiniLmL6V2EmbeddingModel();
        Recording embeddings = new Recording(minilm);
        Recording reader = new Recording(minilm);
        ExtractiveChatModel withReader = new ExtractiveChatModel(embeddings,
                new ExtractiveChatModel.Reader(reader, "query: ", "passage: ", 0.5), 2);
        List<SearchHit> hits = List.of(new SearchHit("c0", 0.5, "Korvath Robotics unveiled the Nova 7X. It will ship "
                + "in October at a price of 900 euros.", Map.of("source", "a")));
        String answer = withReader.chat(ChatRequest.builder().messages(prompts.chat("When will the Nova 7X ship?", hits,
                List.of()).messages()).build()).aiMessage().text();
        assertThat(answer).contains("October");
        assertThat(reader.texts).contains("query: When will the Nova 7X ship?")
                .contains("passage: Korvath Robotics unveiled the Nova 7X. It will ship in October at a price of 900 "
                        + "euros.");
        assertThat(embeddings.texts).as("the question is not read by the embedding model").isEmpty();
        reader.texts.clear();
        withReader.chat(ChatRequest.builder().messages(prompts.analysis("t", "s", "a", "Nova 7X", "Korvath Robotics "
                + "unveiled the Nova 7X. It will ship in October at a price of 900 euros.").messages()).build());
        assertThat(reader.texts).as("an analysis has no question to read").isEmpty();
        assertThat(embeddings.texts).isNotEmpty().noneMatch(t -> t.startsWith("passage: "));
        // similarities on one scale: the model's unrelated texts at 0, the same text at 1
        assertThat(ExtractiveChatModel.Reader.e5(minilm).scaled(0.7)).isCloseTo(0, org.assertj.core.data.Offset
                .offset(1e-9));
        assertThat(ExtractiveChatModel.Reader.e5(minilm).scaled(1.0)).isCloseTo(1, org.assertj.core.data.Offset
                .offset(1e-9));
        assertThat(ExtractiveChatModel.Reader.symmetric(minilm).scaled(0.42)).isEqualTo(0.42);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ExtractiveChatModel.Reader(minilm, "", "", 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** An embedding model that records the texts it is given. */
    private static final class Recording implements dev.langchain4j.model.embedding.EmbeddingModel {
        private final dev.langchain4j.model.embedding.EmbeddingModel model;
        private final List<String> texts = new java.util.concurrent.CopyOnWriteArrayList<>();

        Recording(dev.langchain4j.model.embedding.EmbeddingModel model) {
            this.model = model;
        }

        @Override
        public dev.langchain4j.model.output.Response<List<dev.langchain4j.data.embedding.Embedding>> embedAll(
                List<dev.langchain4j.data.segment.TextSegment> segments) {
            segments.forEach(t -> texts.add(t.text()));
            return model.embedAll(segments);
        }
    }
}
