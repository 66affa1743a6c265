package io.quanthub.gguf.format;

import java.io.IOException;

/**
 * A GGUF file that is malformed or uses something QuantHub does not support. The message is one line
 * naming the problem and where it is (byte offset, key or tensor name).
 */
public class GgufFormatException extends IOException {
    public GgufFormatException(String message) {
        super(message);
    }

    public GgufFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
