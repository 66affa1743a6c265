package io.quanthub.gguf.convert;

/** A model that cannot be converted, or a conversion that failed; the message is one line for the user. */
public final class ConversionException extends RuntimeException {
    public ConversionException(String message) {
        super(message);
    }

    public ConversionException(String message, Throwable cause) {
        super(message, cause);
    }
}
