package io.fineas.pipeline.processors;

/** An alert record that is not a Data Collection alert; it goes to the alert dead-letter topic. */
public class MalformedAlertException extends RuntimeException {

    public MalformedAlertException(String message) {
        super(message);
    }
}
