package io.fineas.pipeline.messages;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * An item a processor could not capture, after its retries, on the Kafka topic {@code capture.dlq} (key: the run
 * id): where it belongs (topic, segment and its generation, processor, run, the data list item), its source kind, when
 * and why. Counted in the run's summary as a failed item. Schema: schemas/messages/capture-failure.schema.json;
 * docs/asyncapi.yaml.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CaptureFailure(
        @JsonProperty("topic") String topic,
        @JsonProperty("segment") String segment,
        @JsonProperty("processor_id") String processorId,
        @JsonProperty("run_id") String runId,
        @JsonProperty("generation") String generation,
        @JsonProperty("parameters") Map<String, Object> parameters,
        @JsonProperty("source") CapturedRecord.Source source,
        @JsonProperty("failed_at") String failedAt,
        @JsonProperty("error") String error) {
}
