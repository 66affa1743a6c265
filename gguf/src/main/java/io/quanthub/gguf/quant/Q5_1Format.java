package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;


/**
 * Q5_1: 32 5-bit levels, an fp16 scale {@code d = (max-min)/31} and an fp16 offset {@code m = min} (spec §4.4).
 * Fields: d, m, qh (one little-endian u32), qs. The weighted path uses {@code make_qkx3_quants} (spec §6.6).
 */
final class Q5_1Format extends LegacyBlockFormat {
    private static final int BLOCK_BYTES = GgmlType.Q5_1.typeSize;
    private static final int D = GgmlType.Q5_1.layout.offset("d");
    private static final int M = GgmlType.Q5_1.layout.offset("m");
    private static final int QH = GgmlType.Q5_1.layout.offset("qh");
    private static final int QS = GgmlType.Q5_1.layout.offset("qs");

    Q5_1Format() {
        super(GgmlType.Q5_1);
    }

    @Override
    void quantizeRef(float[] x, int xOff, byte[] y, int yOff, int nBlocks) {
        byte[] levels = new byte[QK];
        int[] packed = new int[QK / 2];
        float[] extremes = new float[2];
        for (int i = 0; i < nBlocks; i++, xOff += QK, yOff += BLOCK_BYTES) {
            minMax(x, xOff, extremes);
            float min = extremes[0];
            float max = extremes[1];
            float d = (max - min) / 31.0f;
            float id = d != 0 ? 1.0f / d : 0.0f;
            LittleEndian.putFp16(y, yOff + D, d);
            LittleEndian.putFp16(y, yOff + M, min);
            // C: (uint8_t)((x - min)*id + 0.5f), with no clamp unlike Q4_1. With a finite id the sum is within
            // [0.5, 31.5] or NaN, where Java's (int) agrees with x86's cast after narrowing; see Q4_0Format.
            if (Math.abs(id) != Float.POSITIVE_INFINITY) {
                // Lane j: values j and j+16 make the nibbles of byte j, and bit 4 of each goes to bit j / j+16 of qh
                // (what packFiveBits does; the byte narrowing keeps those 5 bits).
                int qh = 0;
                for (int c = 0; c < QK / 2; c += LANES) {
                    IntVector lo = truncatedLevels(x, xOff + c, min, id);
                    IntVector hi = truncatedLevels(x, xOff + QK / 2 + c, min, id);
                    lo.and(0x0F).or(hi.and(0x0F).lanewise(VectorOperators.LSHL, 4)).intoArray(packed, c);
                    qh |= (int) lo.and(0x10).compare(VectorOperators.NE, 0).toLong() << c;
                    qh |= (int) hi.and(0x10).compare(VectorOperators.NE, 0).toLong() << (c + QK / 2);
                }
                for (int j = 0; j < QK / 2; j++) y[yOff + QS + j] = (byte) packed[j];
                LittleEndian.putInt(y, yOff + QH, qh);
            } else {
                for (int j = 0; j < QK; j++) levels[j] = (byte) Numerics.cvtt((x[xOff + j] - min) * id + 0.5f);
                packFiveBits(levels, y, yOff + QH, yOff + QS);
            }
        }
    }

    @Override
    void quantizeWeighted(float[] x, int xOff, float[] w, byte[] y, int yOff, Scratch s) {
        float d = Solvers.makeQkx3Quants(QK, 31, x, xOff, w, 0, s.levels, 0, -0.9f, 0.05f, 36, false, s.solver);
        LittleEndian.putFp16(y, yOff + D, d);
        LittleEndian.putFp16(y, yOff + M, -s.solver.theMin);
        packFiveBits(s.levels, y, yOff + QH, yOff + QS);
    }

    @Override
    void dequantizeBlocks(MemorySegment src, long srcOff, float[] dst, int dstOff, int nBlocks) {
        for (int i = 0; i < nBlocks; i++, srcOff += BLOCK_BYTES, dstOff += QK) {
            float d = LittleEndian.getFp16(src, srcOff + D);
            float m = LittleEndian.getFp16(src, srcOff + M);
            // dst[j] = ((q[j] & 0xF) | qh bit j << 4) * d + m, dst[16 + j] with q[j] >> 4 and qh bit 16 + j
            ByteVector q = ByteLanes.load(src, srcOff + QS);
            ByteVector qh = ByteLanes.load(src, srcOff + QH);
            ByteLanes.scaleAdd(q.and((byte) 0x0F).or(fifthBits(qh, 0)), d, m, dst, dstOff);
            ByteLanes.scaleAdd(q.lanewise(VectorOperators.LSHR, 4).or(fifthBits(qh, 1)), d, m, dst, dstOff + QK / 2);
        }
    }
}
