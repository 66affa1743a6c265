package io.quanthub.gguf;

import java.io.IOException;

/**
 * Random access to a file that is not on the local disk (an object in S3, a file behind HTTP): header parsers use
 * it to read only the first bytes of a multi-gigabyte model.
 */
@FunctionalInterface
public interface ByteRanges {
    /**
     * Exactly {@code length} bytes from {@code offset}; the caller never asks past the end of the file.
     *
     * @throws IOException when the bytes cannot be read
     */
    byte[] read(long offset, int length) throws IOException;
}
