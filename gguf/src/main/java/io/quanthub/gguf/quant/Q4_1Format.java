package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;


/**
 * Q4_1: 32 4-bit levels, an fp16 scale {@code d = (max-min)/15} and an fp16 offset {@code m = min} (spec §4.2).
 * Fields: d, m, qs. The weighted path uses {@code make_qkx3_quants} (spec §6.6).
 */
final class Q4_1Format extends LegacyBlockFormat {
    private static final int BLOCK_BYTES = GgmlType.Q4_1.typeSize;
    private static final int D = GgmlType.Q4_1.layout.offset("d");
    private static final int M = GgmlType.Q4_1.layout.offset("m");
    private static final int QS = GgmlType.Q4_1.layout.offset("qs");

    Q4_1Format() {
        super(GgmlType.Q4_1);
    }

    @Override
    void quantizeRef(float[] x, int xOff, byte[] y, int yOff, int nBlocks) {
        int[] levels = new int[QK];
        int[] packed = new int[QK / 2];
        float[] extremes = new float[2];
        for (int i = 0; i < nBlocks; i++, xOff += QK, yOff += BLOCK_BYTES) {
            minMax(x, xOff, extremes);
            float min = extremes[0];
            float max = extremes[1];
            float d = (max - min) / 15.0f;
            float id = d != 0 ? 1.0f / d : 0.0f;
            LittleEndian.putFp16(y, yOff + D, d);
            LittleEndian.putFp16(y, yOff + M, min);
            // C: MIN(15, (int8_t)((x - min)*id + 0.5f)). With a finite id the sum is within [0.5, 15.5] or NaN (an
            // infinite range gives id = 0), where Java's (int) agrees with x86's cast after narrowing; see Q4_0Format.
            if (Math.abs(id) != Float.POSITIVE_INFINITY) {
                // Lane j: values j and j+16, clamped to 15, make byte j.
                for (int c = 0; c < QK / 2; c += LANES) {
                    IntVector lo = truncatedLevels(x, xOff + c, min, id).min(15);
                    IntVector hi = truncatedLevels(x, xOff + QK / 2 + c, min, id).min(15);
                    lo.or(hi.lanewise(VectorOperators.LSHL, 4)).intoArray(packed, c);
                }
            } else {
                for (int j = 0; j < QK; j++) {
                    levels[j] = Math.min(15, (byte) Numerics.cvtt((x[xOff + j] - min) * id + 0.5f));
                }
                for (int j = 0; j < QK / 2; j++) packed[j] = levels[j] | (levels[j + QK / 2] << 4);
            }
            for (int j = 0; j < QK / 2; j++) y[yOff + QS + j] = (byte) packed[j];
        }
    }

    @Override
    void quantizeWeighted(float[] x, int xOff, float[] w, byte[] y, int yOff, Scratch s) {
        float d = Solvers.makeQkx3Quants(QK, 15, x, xOff, w, 0, s.levels, 0, -0.9f, 0.05f, 36, false, s.solver);
        LittleEndian.putFp16(y, yOff + D, d);
        LittleEndian.putFp16(y, yOff + M, -s.solver.theMin);
        packNibbles(s.levels, 0, y, yOff + QS);
    }

    @Override
    void dequantizeBlocks(MemorySegment src, long srcOff, float[] dst, int dstOff, int nBlocks) {
        for (int i = 0; i < nBlocks; i++, srcOff += BLOCK_BYTES, dstOff += QK) {
            float d = LittleEndian.getFp16(src, srcOff + D);
            float m = LittleEndian.getFp16(src, srcOff + M);
            // dst[j] = (q[j] & 0xF) * d + m, dst[16 + j] = (q[j] >> 4) * d + m, 16 lanes at a time
            ByteVector q = ByteLanes.load(src, srcOff + QS);
            ByteLanes.scaleAdd(q.and((byte) 0x0F), d, m, dst, dstOff);
            ByteLanes.scaleAdd(q.lanewise(VectorOperators.LSHR, 4), d, m, dst, dstOff + QK / 2);
        }
    }
}
