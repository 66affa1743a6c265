package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * What every K-quant shares: 256-value super-blocks quantized one at a time, either by ggml's reference quantizer
 * ({@code quantize_row_q*_K_ref}, no importance matrix) or by its importance-weighted one ({@code quantize_row_q*_K_impl}),
 * and dequantized block by block. Subclasses supply the per-block code; this class checks arguments once per call,
 * walks the blocks and owns the scratch arrays, so no block allocates anything.
 */
abstract class KQuantFormat implements QuantFormat {
    /** Values per super-block (ggml's QK_K). */
    static final int QK_K = 256;

    private final GgmlType type;

    KQuantFormat(GgmlType type) {
        this.type = type;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    /** Quantizes the 256 values {@code x[xOff..]} into the block at {@code y[yOff..]} without importance weights. */
    abstract void quantizeBlock(float[] x, int xOff, byte[] y, int yOff, Scratch s);

    /** Like {@link #quantizeBlock}, weighted by the importance values {@code qw[qwOff..qwOff+255]} of these positions. */
    abstract void quantizeBlockWeighted(float[] x, int xOff, float[] qw, int qwOff, byte[] y, int yOff, Scratch s);

    /** Dequantizes the block at byte {@code yOff} of {@code y}, in place, into the 256 floats {@code out[outOff..]}. */
    abstract void dequantizeBlock(MemorySegment y, long yOff, float[] out, int outOff);

    @Override
    public final void quantize(float[] src, int srcOff, byte[] dst, int dstOff, int nRows, int nPerRow,
            float[] imatrix) {
        QuantArgs.checkQuantize(type, src, srcOff, dst, dstOff, nRows, nPerRow, imatrix);
        int blocksPerRow = nPerRow / QK_K;
        Scratch s = new Scratch();
        int x = srcOff;
        int y = dstOff;
        for (int row = 0; row < nRows; row++) {
            for (int b = 0; b < blocksPerRow; b++) {
                // ggml quantizes the whole chunk with the _ref quantizer when there is no imatrix; being per block,
                // that is the same as going row by row. The imatrix is indexed by position within the row.
                if (imatrix == null) {
                    quantizeBlock(src, x, dst, y, s);
                } else {
                    quantizeBlockWeighted(src, x, imatrix, b * QK_K, dst, y, s);
                }
                x += QK_K;
                y += type.typeSize;
            }
        }
    }

    @Override
    public final void dequantize(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        QuantArgs.checkDequantize(type, src, srcOff, dst, dstOff, n);
        for (int b = 0; b < n / QK_K; b++) {
            dequantizeBlock(src, srcOff + (long) b * type.typeSize, dst, dstOff + b * QK_K);
        }
    }

    /** The 2-bit packing of Q2_K and Q3_K: value e goes to byte 32*(e/128) + e%32, bits 2*((e%128)/32). */
    static void pack2Bit(byte[] L, byte[] y, int qsOff) {
        for (int half = 0; half < 2; half++) {
            int b = 128 * half;
            for (int l = 0; l < 32; l++) {
                y[qsOff + 32 * half + l] = (byte) (L[b + l] | L[b + l + 32] << 2 | L[b + l + 64] << 4
                        | L[b + l + 96] << 6);
            }
        }
    }

    /** Working arrays of one quantize() call, sized for the largest K-quant need (ggml's stack arrays). */
    static final class Scratch {
        /** Levels of the current super-block. */
        final byte[] L = new byte[QK_K];
        /** The scale solvers' working memory. */
        final Solvers.Workspace solver = new Solvers.Workspace();
        /** Weights of the current sub-block. */
        final float[] weights = new float[32];
        /** Per sub-block scale, min and weight sum. */
        final float[] scales = new float[16];
        final float[] mins = new float[16];
        final float[] sw = new float[16];
        /** Quantized sub-block scales and mins. */
        final byte[] ls = new byte[16];
        final byte[] lm = new byte[16];
    }
}
