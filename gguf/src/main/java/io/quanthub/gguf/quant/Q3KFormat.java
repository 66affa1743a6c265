package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static io.quanthub.gguf.quant.Numerics.nearestInt;
import static io.quanthub.gguf.quant.ScaleMinK4.scaleByte;

/**
 * Q3_K (spec §6.2): 16 sub-blocks of 16 values, each {@code x ≈ d*sc*q} with a signed 3-bit q (low 2 bits in qs,
 * high bit in hmask) and a signed 6-bit sc. Fields ({@link GgmlType#layout}): hmask, qs, scales, d.
 */
final class Q3KFormat extends KQuantFormat {
    private static final int HMASK = GgmlType.Q3_K.layout.offset("hmask");
    private static final int QS = GgmlType.Q3_K.layout.offset("qs");
    private static final int SCALES = GgmlType.Q3_K.layout.offset("scales");
    private static final int D = GgmlType.Q3_K.layout.offset("d");

    Q3KFormat() {
        super(GgmlType.Q3_K);
    }

    @Override
    void quantizeBlock(float[] x, int xOff, byte[] y, int yOff, Scratch s) {
        float maxScale = 0;
        float amax = 0;
        for (int j = 0; j < 16; j++) {
            float scale = Solvers.makeQ3Quants(16, 4, x, xOff + 16 * j, s.L, 16 * j, true, s.solver);
            s.scales[j] = scale;
            float a = Math.abs(scale);
            if (a > amax) {
                amax = a;
                maxScale = scale;
            }
        }
        clearScales(y, yOff);
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = (byte) nearestInt(iscale * s.scales[j]); // ggml narrows to int8_t before clamping
                packScale(y, yOff, j, Math.max(-32, Math.min(31, l)) + 32);
            }
            LittleEndian.putFp16(y, yOff + D, 1 / iscale);
        } else {
            LittleEndian.putFp16(y, yOff + D, 0f);
        }
        requantizeAndPack(x, xOff, y, yOff, s);
    }

    @Override
    void quantizeBlockWeighted(float[] x, int xOff, float[] qw, int qwOff, byte[] y, int yOff, Scratch s) {
        float[] w = s.weights;
        float sigma2 = 2 * ImportanceWeights.sumOfSquares(x, xOff, QK_K) / QK_K;
        for (int j = 0; j < 16; j++) {
            int xj = xOff + 16 * j;
            ImportanceWeights.weigh(qw, qwOff + 16 * j, sigma2, x, xj, w, 16);
            float sumW = 0;
            for (int l = 0; l < 16; l++) sumW += w[l];
            s.sw[j] = sumW;
            s.scales[j] = Solvers.makeQxQuants(16, 4, x, xj, s.L, 16 * j, 1, w, 0, s.solver);
        }
        clearScales(y, yOff);
        // The 16 scales are themselves quantized to 0..63 by the same solver, weighted by each sub-block's weight.
        float dBlock = Solvers.makeQxQuants(16, 32, s.scales, 0, s.ls, 0, 1, s.sw, 0, s.solver);
        for (int j = 0; j < 16; j++) packScale(y, yOff, j, s.ls[j]);
        LittleEndian.putFp16(y, yOff + D, dBlock);
        requantizeAndPack(x, xOff, y, yOff, s);
    }

    private static void clearScales(byte[] y, int yOff) {
        for (int i = 0; i < 12; i++) y[yOff + SCALES + i] = 0;
    }

    /** Stores the 6-bit scale level {@code l} (0..63) of sub-block j: low nibbles in bytes 0..7, high bit pairs in 8..11. */
    private static void packScale(byte[] y, int yOff, int j, int l) {
        int sc = yOff + SCALES;
        if (j < 8) {
            y[sc + j] = (byte) (l & 0xF);
        } else {
            y[sc + j - 8] |= (byte) ((l & 0xF) << 4);
        }
        y[sc + 8 + j % 4] |= (byte) ((l >> 4) << (2 * (j / 4)));
    }

    /** The signed scale (-32..31) of sub-block j, from the 12 scale bytes as two words (see ScaleMinK4.scaleByte). */
    private static int scale(long first8, int last4, int j) {
        int lo = j < 8 ? scaleByte(first8, last4, j) & 0xF : scaleByte(first8, last4, j - 8) >> 4;
        int hi = (scaleByte(first8, last4, 8 + j % 4) >> (2 * (j / 4))) & 3;
        return (lo | hi << 4) - 32;
    }

    /**
     * Recomputes the levels against the stored d and scales (a zero scale keeps the solver's levels), then splits
     * each 3-bit level (0..7) into its hmask bit (bit 2, at hmask[e%32] bit e/32) and 2 low bits.
     */
    private static void requantizeAndPack(float[] x, int xOff, byte[] y, int yOff, Scratch s) {
        byte[] L = s.L;
        float d = LittleEndian.getFp16(y, yOff + D);
        long first8 = LittleEndian.getLong(y, yOff + SCALES);
        int last4 = LittleEndian.getInt(y, yOff + SCALES + 8);
        for (int j = 0; j < 16; j++) {
            float dj = d * scale(first8, last4, j);
            if (dj == 0) continue;
            Solvers.requantize(x, xOff + 16 * j, 16, 0f, dj, -4, 3, L, 16 * j, s.solver);
        }
        for (int l = 0; l < 32; l++) {
            int h = 0;
            for (int k = 0; k < 8; k++) {
                h |= (L[32 * k + l] >> 2) << k;
                L[32 * k + l] &= 3;
            }
            y[yOff + HMASK + l] = (byte) h;
        }
        pack2Bit(L, y, yOff + QS);
    }

    @Override
    void dequantizeBlock(MemorySegment y, long yOff, float[] out, int outOff) {
        float dAll = LittleEndian.getFp16(y, yOff + D);
        long s8 = LittleEndian.getLong(y, yOff + SCALES);
        int s4 = LittleEndian.getInt(y, yOff + SCALES + 8);
        int o = outOff;
        for (int half = 0; half < 2; half++) {
            long q = yOff + QS + 32 * half;
            for (int j = 0; j < 4; j++) {
                int shift = 2 * j;
                // hmask bit 4*half + j: set keeps the 2-bit level, clear subtracts 4 (ggml's -4 offset).
                int bit = 4 * half + j;
                for (int k = 0; k < 2; k++) {
                    float dl = dAll * scale(s8, s4, 8 * half + 2 * j + k);
                    ByteVector low = ByteLanes.load(y, q + 16 * k).lanewise(VectorOperators.LSHR, shift).and((byte) 3);
                    ByteVector clear = ByteLanes.load(y, yOff + HMASK + 16 * k).lanewise(VectorOperators.LSHR, bit)
                            .and((byte) 1).lanewise(VectorOperators.XOR, (byte) 1);
                    ByteLanes.scale(low.sub(clear.lanewise(VectorOperators.LSHL, 2)), dl, out, o);
                    o += 16;
                }
            }
        }
    }
}
