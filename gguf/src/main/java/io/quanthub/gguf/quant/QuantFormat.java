package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Quantization and dequantization of one ggml type, byte-identical to ggml.
 * Implementations are stateless and thread-safe.
 */
public interface QuantFormat {
    GgmlType type();

    /**
     * Quantizes {@code nRows} rows of {@code nPerRow} values, with exactly the semantics of
     * {@code ggml_quantize_chunk(type, src, dst, 0, nRows, nPerRow, imatrix)}: the reference quantizer when
     * {@code imatrix} is null, the importance-weighted one otherwise (types that ignore it, like Q8_0, ignore it).
     *
     * @param src     values, row after row, starting at {@code srcOff}
     * @param dst     receives {@code nRows * type().rowBytes(nPerRow)} bytes starting at {@code dstOff}
     * @param imatrix importance of each position within a row (length {@code nPerRow}), or null
     */
    void quantize(float[] src, int srcOff, byte[] dst, int dstOff, int nRows, int nPerRow, float[] imatrix);

    /**
     * Dequantizes {@code n} values (a multiple of the block size) like ggml's {@code dequantize_row_*}.
     */
    void dequantize(byte[] src, int srcOff, float[] dst, int dstOff, int n);

    /**
     * Dequantizes {@code n} values (a multiple of the block size) from the blocks at byte {@code srcOff} of
     * {@code src}, with no alignment required: a memory-mapped file (the caller needs no copy or buffer of its own),
     * native memory or a heap segment. The floats are bit-identical to
     * {@link #dequantize(byte[], int, float[], int, int)}'s on the same bytes: the same kernel runs, on blocks staged
     * a few kilobytes at a time through a per-thread buffer that stays in L1 (a {@code byte[]}-backed segment is read
     * directly). Thread-safe.
     *
     * @param src holds at least {@code type().rowBytes(n)} bytes from {@code srcOff}
     * @param dst receives the {@code n} values from {@code dstOff}
     */
    void dequantize(MemorySegment src, long srcOff, float[] dst, int dstOff, int n);
}
