package io.quanthub.gguf.safetensors;

import java.io.IOException;

/** A safetensors file or shard index that is malformed; the message is one line naming the problem and the file. */
public class SafetensorsFormatException extends IOException {
    public SafetensorsFormatException(String message) {
        super(message);
    }
}
