package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static io.quanthub.gguf.quant.Numerics.nearestInt;

/**
 * Q2_K (spec §6.1): 16 sub-blocks of 16 values, each {@code x ≈ d*sc*q - dmin*m} with a 2-bit q and 4-bit sc, m.
 * Fields ({@link GgmlType#layout}): scales (sc low nibble, m high nibble), qs, d, dmin.
 */
final class Q2KFormat extends KQuantFormat {
    private static final int SCALES = GgmlType.Q2_K.layout.offset("scales");
    private static final int QS = GgmlType.Q2_K.layout.offset("qs");
    private static final int D = GgmlType.Q2_K.layout.offset("d");
    private static final int DMIN = GgmlType.Q2_K.layout.offset("dmin");

    Q2KFormat() {
        super(GgmlType.Q2_K);
    }

    @Override
    void quantizeBlock(float[] x, int xOff, byte[] y, int yOff, Scratch s) {
        float[] w = s.weights;
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 16; j++) {
            int xj = xOff + 16 * j;
            for (int l = 0; l < 16; l++) w[l] = Math.abs(x[xj + l]);
            float scale = Solvers.makeQkx2Quants(16, 3, x, xj, w, 0, s.L, 16 * j, -0.5f, 0.1f, 15, true, s.solver);
            s.scales[j] = scale;
            s.mins[j] = s.solver.theMin;
            if (scale > maxScale) maxScale = scale;
            if (s.mins[j] > maxMin) maxMin = s.mins[j];
        }
        if (maxScale > 0) {
            float iscale = 15f / maxScale;
            for (int j = 0; j < 16; j++) y[yOff + SCALES + j] = (byte) nearestInt(iscale * s.scales[j]);
            LittleEndian.putFp16(y, yOff + D, maxScale / 15f);
        } else {
            for (int j = 0; j < 16; j++) y[yOff + SCALES + j] = 0;
            LittleEndian.putFp16(y, yOff + D, 0f);
        }
        if (maxMin > 0) {
            float iscale = 15f / maxMin;
            for (int j = 0; j < 16; j++) {
                y[yOff + SCALES + j] |= (byte) (nearestInt(iscale * s.mins[j]) << 4);
            }
            LittleEndian.putFp16(y, yOff + DMIN, maxMin / 15f);
        } else {
            LittleEndian.putFp16(y, yOff + DMIN, 0f);
        }
        requantize(x, xOff, y, yOff, s);
        pack2Bit(s.L, y, yOff + QS);
    }

    @Override
    void quantizeBlockWeighted(float[] x, int xOff, float[] qw, int qwOff, byte[] y, int yOff, Scratch s) {
        float[] w = s.weights;
        float sigma2 = ImportanceWeights.sumOfSquares(x, xOff, QK_K) / QK_K;
        for (int j = 0; j < 16; j++) {
            int xj = xOff + 16 * j;
            ImportanceWeights.weigh(qw, qwOff + 16 * j, sigma2, x, xj, w, 16);
            float sumW = 0;
            for (int l = 0; l < 16; l++) sumW += w[l];
            s.sw[j] = sumW;
            s.scales[j] = Solvers.makeQkx3Quants(16, 3, x, xj, w, 0, s.L, 16 * j, -0.9f, 0.05f, 36, false, s.solver);
            s.mins[j] = s.solver.theMin;
        }
        float dm = Solvers.makeQpQuants(16, 15, s.scales, 0, s.ls, 0, s.sw, 0);
        float mm = Solvers.makeQpQuants(16, 15, s.mins, 0, s.lm, 0, s.sw, 0);
        LittleEndian.putFp16(y, yOff + D, dm);
        LittleEndian.putFp16(y, yOff + DMIN, mm);
        for (int j = 0; j < 16; j++) y[yOff + SCALES + j] = (byte) (s.ls[j] | s.lm[j] << 4);
        requantize(x, xOff, y, yOff, s);
        pack2Bit(s.L, y, yOff + QS);
    }

    /**
     * Recomputes the levels against the stored (fp16-rounded) d, dmin and 4-bit scales; a sub-block whose scale
     * came out 0 keeps the solver's levels.
     */
    private static void requantize(float[] x, int xOff, byte[] y, int yOff, Scratch s) {
        float d = LittleEndian.getFp16(y, yOff + D);
        float dmin = LittleEndian.getFp16(y, yOff + DMIN);
        for (int j = 0; j < 16; j++) {
            int sc = y[yOff + SCALES + j] & 0xFF;
            float dj = d * (sc & 0xF);
            if (dj == 0) continue;
            float mj = dmin * (sc >> 4);
            Solvers.requantize(x, xOff + 16 * j, 16, mj, dj, 0, 3, s.L, 16 * j, s.solver);
        }
    }

    @Override
    void dequantizeBlock(MemorySegment y, long yOff, float[] out, int outOff) {
        float d = LittleEndian.getFp16(y, yOff + D);
        float min = LittleEndian.getFp16(y, yOff + DMIN);
        int o = outOff;
        for (int half = 0; half < 2; half++) {
            long q = yOff + QS + 32 * half;
            // The 8 scale bytes of this half (4-bit scale | 4-bit min << 4), one read.
            long scales = LittleEndian.getLong(y, yOff + SCALES + 8 * half);
            for (int j = 0; j < 4; j++) {
                int shift = 2 * j;
                // two 16-value sub-blocks share the same qs bytes' bit pair: first q[0..15], then q[16..31]
                for (int k = 0; k < 2; k++) {
                    int sc = (int) (scales >>> (8 * (2 * j + k))) & 0xFF;
                    float dl = d * (sc & 0xF);
                    float ml = min * (sc >> 4);
                    // out[o + l] = dl * ((y[q + 16k + l] >> shift) & 3) - ml, 16 lanes at once
                    ByteVector v = ByteLanes.load(y, q + 16 * k);
                    ByteLanes.scaleMinus(v.lanewise(VectorOperators.LSHR, shift).and((byte) 3), dl, ml, out, o);
                    o += 16;
                }
            }
        }
    }
}
