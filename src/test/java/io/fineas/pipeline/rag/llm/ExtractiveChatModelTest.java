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
                .containsExactlyInAnyOrder("nova", "7x", "ship", "buyers");
        assertThat(ExtractiveChatModel.wordShare(ExtractiveChatModel.words("Nova ship buyer"),
                "The Nova ships to buyers.")).isEqualTo(1.0);
        assertThat(ExtractiveChatModel.joinWrappedLines("Heading\n\nFirst line\ngoes on. Second.\n\nTail."))
                .containsExactly("First line goes on. Second.", "Tail.");
    }
}
