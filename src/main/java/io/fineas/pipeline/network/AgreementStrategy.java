package io.fineas.pipeline.network;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/** Adds each task or submission (the incoming body) to its task's {@link Tally}, which becomes the aggregate body. */
public final class AgreementStrategy implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        Tally tally = oldExchange == null ? new Tally() : oldExchange.getIn().getBody(Tally.class);
        tally.add(newExchange.getIn().getBody());
        Exchange answer = oldExchange == null ? newExchange : oldExchange;
        answer.getIn().setBody(tally);
        return answer;
    }
}
