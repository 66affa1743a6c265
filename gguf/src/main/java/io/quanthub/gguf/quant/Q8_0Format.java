package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0: 32 signed bytes and one fp16 scale {@code d = amax/127} (spec §4.5). Fields: d, qs.
 * ggml has no importance-weighted Q8_0; the importance matrix is ignored.
 */
final class Q8_0Format extends LegacyBlockFormat {
    private static final int BLOCK_BYTES = GgmlType.Q8_0.typeSize;
    private static final int D = GgmlType.Q8_0.layout.offset("d");
    private static final int QS = GgmlType.Q8_0.layout.offset("qs");

    Q8_0Format() {
        super(GgmlType.Q8_0);
    }

    @Override
    public void quantize(float[] src, int srcOff, byte[] dst, int dstOff, int nRows, int nPerRow, float[] imatrix) {
        // ggml's quantize_q8_0 ignores the importance matrix.
        super.quantize(src, srcOff, dst, dstOff, nRows, nPerRow, null);
    }

    @Override
    void quantizeRef(float[] x, int xOff, byte[] y, int yOff, int nBlocks) {
        int[] levels = new int[QK];
        for (int i = 0; i < nBlocks; i++, xOff += QK, yOff += BLOCK_BYTES) {
            float amax = absMax(x, xOff);
            float d = amax / 127.0f;
            float id = d != 0 ? 1.0f / d : 0.0f;
            LittleEndian.putFp16(y, yOff + D, d);
            if (id != Float.POSITIVE_INFINITY) {
                for (int j = 0; j < QK; j++) {
                    // C: (int8_t) roundf(v), half away from zero. Here |v| <= ~127 or v is NaN (an infinite x times
                    // id = 0), so t = (int) v and v - t are exact, and (int) (2*(v - t)) is +1 or -1 exactly when
                    // the fraction reaches +-0.5. NaN gives 0, as x86's cast does after narrowing. Branch-free, so
                    // the JIT vectorizes it.
                    float v = x[xOff + j] * id;
                    int t = (int) v;
                    levels[j] = t + (int) (2.0f * (v - t));
                }
            } else {
                // 1/d overflowed (d < 2^-128): C's casts of +-inf on x86 decide.
                for (int j = 0; j < QK; j++) levels[j] = Numerics.cvtt(Numerics.roundf(x[xOff + j] * id));
            }
            for (int j = 0; j < QK; j++) y[yOff + QS + j] = (byte) levels[j];
        }
    }

    /**
     * ggml's {@code amax = MAX(amax, fabsf(v))} from 0. Without NaNs that is the largest magnitude, found here on
     * the bits (which order like the magnitudes) without branches. The C macro replaces a NaN by the next value, so
     * blocks with NaNs are scanned as C does.
     */
    private static float absMax(float[] x, int off) {
        int bits = 0;
        for (int j = 0; j < QK; j++) bits = Math.max(bits, Float.floatToRawIntBits(x[off + j]) & 0x7FFFFFFF);
        if (bits <= 0x7F800000) return Float.intBitsToFloat(bits);
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) {
            float a = Math.abs(x[off + j]);
            amax = amax > a ? amax : a;
        }
        return amax;
    }

    /** ggml's quantize_q8_0 ignores the weights: the reference quantizer (unused, as quantize drops the imatrix). */
    @Override
    void quantizeWeighted(float[] x, int xOff, float[] w, byte[] y, int yOff, Scratch s) {
        quantizeRef(x, xOff, y, yOff, 1);
    }

    @Override
    void dequantizeBlocks(MemorySegment src, long srcOff, float[] dst, int dstOff, int nBlocks) {
        for (int i = 0; i < nBlocks; i++, srcOff += BLOCK_BYTES, dstOff += QK) {
            float d = LittleEndian.getFp16(src, srcOff + D);
            // dst[j] = q[j] * d, 16 lanes at a time
            for (int j = 0; j < QK; j += 16) {
                ByteLanes.scale(ByteLanes.load(src, srcOff + QS + j), d, dst, dstOff + j);
            }
        }
    }
}
