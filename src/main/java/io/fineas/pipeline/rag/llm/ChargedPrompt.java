package io.fineas.pipeline.rag.llm;

import java.util.AbstractList;
import java.util.List;

import dev.langchain4j.data.message.ChatMessage;
import io.fineas.pipeline.messages.ModelUsage;
import io.fineas.pipeline.usage.TokenLedger;

/**
 * A prompt's messages with the account its model call is charged to. The route hands it to camel-langchain4j-chat as
 * the message list, which passes that very list to the model ({@link MeteredChatModel}); the model's reported
 * usage comes back in it, whichever thread made the call (the circuit breaker's time limit runs it on another).
 */
public final class ChargedPrompt extends AbstractList<ChatMessage> {

    private final List<ChatMessage> messages;
    private final TokenLedger.Account account;
    private volatile ModelUsage usage;

    public ChargedPrompt(List<ChatMessage> messages, TokenLedger.Account account) {
        this.messages = new java.util.ArrayList<>(messages);
        this.account = account;
    }

    @Override
    public ChatMessage get(int index) {
        return messages.get(index);
    }

    /** camel-langchain4j-chat puts the last message back (with its augmented data, when there is some). */
    @Override
    public ChatMessage set(int index, ChatMessage message) {
        return messages.set(index, message);
    }

    @Override
    public int size() {
        return messages.size();
    }

    public TokenLedger.Account account() {
        return account;
    }

    /** The tokens the call took, once it answered; null before, or if the model was not called. */
    public ModelUsage usage() {
        return usage;
    }

    void used(ModelUsage usage) {
        this.usage = usage;
    }
}
