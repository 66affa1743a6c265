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
     * Dequantizes {@code n} values (a multiple of the block size) like ggml's {@code dequantize_row_*}: the
     * {@link #dequantize(MemorySegment, long, float[], int, int) segment} kernel, on the blocks staged a few kilobytes
     * at a time in native memory (see {@link ArrayStaging} for why).
     */
    default void dequantize(byte[] src, int srcOff, float[] dst, int dstOff, int n) {
        QuantArgs.checkDequantize(type(), src, srcOff, dst, dstOff, n);
        ArrayStaging.dequantize(this, src, srcOff, dst, dstOff, n);
    }

    /**
     * Dequantizes {@code n} values (a multiple of the block size) like ggml's {@code dequantize_row_*}, from the
     * blocks at byte {@code srcOff} of {@code src}, with no alignment required: a memory-mapped file (read in place:
     * no copy, no buffer), native memory or an array. Each type has this one kernel. Thread-safe.
     *
     * @param src holds at least {@code type().rowBytes(n)} bytes from {@code srcOff}
     * @param dst receives the {@code n} values from {@code dstOff}
     */
    void dequantize(MemorySegment src, long srcOff, float[] dst, int dstOff, int n);
}
