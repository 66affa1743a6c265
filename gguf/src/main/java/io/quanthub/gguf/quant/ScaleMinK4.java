package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import static io.quanthub.gguf.quant.KQuantFormat.QK_K;
import static io.quanthub.gguf.quant.Numerics.nearestInt;

/**
 * The common head of Q4_K and Q5_K blocks (spec §6.3): 8 sub-blocks of 32 values, each {@code x ≈ d*sc*q - dmin*m}
 * with 6-bit sc and m packed into 12 bytes. Fields: d, dmin, scales; the quants follow.
 * The two types choose scales the same way and differ only in the level range (nmax) and the quant packing.
 */
final class ScaleMinK4 {
    static final int D = headOffset("d");
    static final int DMIN = headOffset("dmin");
    static final int SCALES = headOffset("scales");

    private ScaleMinK4() {
    }

    /** A field of the common head, which must lie at the same offset in both blocks. */
    private static int headOffset(String field) {
        int offset = GgmlType.Q4_K.layout.offset(field);
        if (GgmlType.Q5_K.layout.offset(field) != offset) {
            throw new IllegalStateException("Q4_K and Q5_K disagree on the offset of " + field);
        }
        return offset;
    }

    /**
     * The reference quantizer's scale choice: per sub-block weights {@code sqrt(mean x²) + |x|} and
     * make_qkx2_quants with the given search; the 8 scales and mins are then quantized to 6 bits against their maxima.
     * Leaves the requantized levels (0..nmax) in {@code s.L}.
     */
    static void chooseReference(float[] x, int xOff, byte[] y, int yOff, KQuantFormat.Scratch s, int nmax,
            float rmin, float rdelta, int nstep) {
        float[] w = s.weights;
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int xj = xOff + 32 * j;
            float avX = (float) Math.sqrt(ImportanceWeights.sumOfSquares(x, xj, 32) / 32);
            for (int l = 0; l < 32; l++) w[l] = avX + Math.abs(x[xj + l]);
            float scale = Solvers.makeQkx2Quants(32, nmax, x, xj, w, 0, s.L, 32 * j, rmin, rdelta, nstep, false,
                    s.solver);
            s.scales[j] = scale;
            s.mins[j] = s.solver.theMin;
            if (scale > maxScale) maxScale = scale;
            if (s.mins[j] > maxMin) maxMin = s.mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++) {
            // ggml stores the rounded value in a uint8_t first, so the wrap happens before the clamp
            int ls = Math.min(63, nearestInt(invScale * s.scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * s.mins[j]) & 0xFF);
            pack(y, yOff, j, ls, lm);
        }
        LittleEndian.putFp16(y, yOff + D, maxScale / 63f);
        LittleEndian.putFp16(y, yOff + DMIN, maxMin / 63f);
        requantize(x, xOff, y, yOff, s, nmax);
    }

    /**
     * The importance-weighted scale choice: weights {@code qw*sqrt(sigma² + x²)}, make_qkx3_quants per sub-block,
     * then make_qp_quants for the scale and min vectors. ggml's Q5_K clamps the resulting 6-bit levels to 63 and
     * Q4_K does not ({@code clampLevels}); they differ only when make_qp_quants wrapped a negative level.
     * Leaves the requantized levels (0..nmax) in {@code s.L}.
     */
    static void chooseWeighted(float[] x, int xOff, float[] qw, int qwOff, byte[] y, int yOff,
            KQuantFormat.Scratch s, int nmax, boolean clampLevels) {
        float[] w = s.weights;
        float sigma2 = 2 * ImportanceWeights.sumOfSquares(x, xOff, QK_K) / QK_K;
        for (int j = 0; j < 8; j++) {
            int xj = xOff + 32 * j;
            ImportanceWeights.weigh(qw, qwOff + 32 * j, sigma2, x, xj, w, 32);
            float sumW = 0;
            for (int l = 0; l < 32; l++) sumW += w[l];
            s.sw[j] = sumW;
            s.scales[j] = Solvers.makeQkx3Quants(32, nmax, x, xj, w, 0, s.L, 32 * j, -0.9f, 0.05f, 36, false,
                    s.solver);
            s.mins[j] = s.solver.theMin;
        }
        float dBlock = Solvers.makeQpQuants(8, 63, s.scales, 0, s.ls, 0, s.sw, 0);
        float mBlock = Solvers.makeQpQuants(8, 63, s.mins, 0, s.lm, 0, s.sw, 0);
        for (int j = 0; j < 8; j++) {
            int ls = s.ls[j] & 0xFF;
            int lm = s.lm[j] & 0xFF;
            if (clampLevels) {
                ls = Math.min(63, ls);
                lm = Math.min(63, lm);
            }
            pack(y, yOff, j, ls, lm);
        }
        LittleEndian.putFp16(y, yOff + D, dBlock);
        LittleEndian.putFp16(y, yOff + DMIN, mBlock);
        requantize(x, xOff, y, yOff, s, nmax);
    }

    /**
     * Stores scale level {@code ls} and min level {@code lm} (uint8) of sub-block j. Sub-blocks 0..3 use bytes 0..7
     * directly; 4..7 put their low nibbles in bytes 8..11 and their top 2 bits in the top bits of bytes 0..7.
     * Must run for j in increasing order.
     */
    static void pack(byte[] y, int yOff, int j, int ls, int lm) {
        int q = yOff + SCALES;
        if (j < 4) {
            y[q + j] = (byte) ls;
            y[q + j + 4] = (byte) lm;
        } else {
            y[q + j + 4] = (byte) ((ls & 0xF) | (lm & 0xF) << 4);
            y[q + j - 4] |= (byte) ((ls >> 4) << 6);
            y[q + j] |= (byte) ((lm >> 4) << 6);
        }
    }

    /**
     * Byte i (0..11) of a 12-byte scales field (Q3_K's too) given as two words, its first 8 bytes (a little-endian
     * long) and its last 4 (an int), which the caller reads from wherever the block is: two reads per block instead
     * of sixteen, and the quantizer ({@code byte[]}) and the dequantizer (a memory segment) share the decoding but no
     * memory access, so the JIT's profile of each access sees one kind of memory.
     */
    static int scaleByte(long first8, int last4, int i) {
        return (int) ((i < 8 ? first8 >>> (8 * i) : last4 >>> (8 * (i - 8))) & 0xFF);
    }

    /** The 6-bit scale of sub-block j (ggml's get_scale_min_k4, first output). */
    static int scale(long first8, int last4, int j) {
        return j < 4 ? scaleByte(first8, last4, j) & 63
                : (scaleByte(first8, last4, j + 4) & 0xF) | (scaleByte(first8, last4, j - 4) >> 6) << 4;
    }

    /** The 6-bit min of sub-block j (ggml's get_scale_min_k4, second output). */
    static int min(long first8, int last4, int j) {
        return j < 4 ? scaleByte(first8, last4, j + 4) & 63
                : scaleByte(first8, last4, j + 4) >> 4 | (scaleByte(first8, last4, j) >> 6) << 4;
    }

    /** Levels against the stored fp16 d/dmin and 6-bit scales; a sub-block with a zero scale keeps the solver's. */
    private static void requantize(float[] x, int xOff, byte[] y, int yOff, KQuantFormat.Scratch s, int nmax) {
        float d = LittleEndian.getFp16(y, yOff + D);
        float dmin = LittleEndian.getFp16(y, yOff + DMIN);
        long first8 = LittleEndian.getLong(y, yOff + SCALES);
        int last4 = LittleEndian.getInt(y, yOff + SCALES + 8);
        for (int j = 0; j < 8; j++) {
            float dj = d * scale(first8, last4, j);
            if (dj == 0) continue;
            float mj = dmin * min(first8, last4, j);
            Solvers.requantize(x, xOff + 32 * j, 32, mj, dj, 0, nmax, s.L, 32 * j, s.solver);
        }
    }
}
