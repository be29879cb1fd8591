package io.fineas.pipeline.rag.llm;

import java.util.List;
import java.util.Set;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.fineas.pipeline.messages.ModelUsage;
import io.fineas.pipeline.usage.TokenLedger;

/**
 * The configured chat model, with every call made for a {@link ChargedPrompt} counted: the usage the provider reported
 * is charged to the prompt's account ({@link TokenLedger}) and left in the prompt for the route to publish with the
 * answer. Calls with plain message lists (an evaluation's) go through uncounted.
 */
public final class MeteredChatModel implements ChatModel {

    private final ChatModel model;
    private final String modelName;
    private final TokenLedger ledger;

    public MeteredChatModel(ChatModel model, String modelName, TokenLedger ledger) {
        this.model = model;
        this.modelName = modelName;
        this.ledger = ledger;
    }

    @Override
    public ChatResponse chat(List<ChatMessage> messages) {
        ChatResponse response = model.chat(messages);
        if (messages instanceof ChargedPrompt prompt) {
            ModelUsage used = ModelUsage.of(response.tokenUsage());
            prompt.used(used);
            ledger.charge(prompt.account(), modelName, used);
        }
        return response;
    }

    @Override
    public ChatResponse chat(ChatRequest request) {
        return model.chat(request);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return model.defaultRequestParameters();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return model.listeners();
    }

    @Override
    public ModelProvider provider() {
        return model.provider();
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return model.supportedCapabilities();
    }
}
