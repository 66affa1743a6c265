package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;


/**
 * Q4_0: 32 4-bit levels around 8 and one fp16 scale {@code d = max/-8}, where max is the signed value of largest
 * magnitude (spec §4.1). Fields: d, qs. The weighted path uses {@code make_qx_quants} (spec §6.6).
 */
final class Q4_0Format extends LegacyBlockFormat {
    private static final int BLOCK_BYTES = GgmlType.Q4_0.typeSize;
    private static final int D = GgmlType.Q4_0.layout.offset("d");
    private static final int QS = GgmlType.Q4_0.layout.offset("qs");

    Q4_0Format() {
        super(GgmlType.Q4_0);
    }

    @Override
    void quantizeRef(float[] x, int xOff, byte[] y, int yOff, int nBlocks) {
        int[] levels = new int[QK];
        for (int i = 0; i < nBlocks; i++, xOff += QK, yOff += BLOCK_BYTES) {
            float max = firstAbsMax(x, xOff);
            float d = max / -8.0f; // max = +0.0 gives d = -0.0, stored as 0x8000 (spec §4.6)
            float id = d != 0 ? 1.0f / d : 0.0f;
            LittleEndian.putFp16(y, yOff + D, d);
            // C: MIN(15, (int8_t)(x*id + 8.5f)). With a finite id the sum is NaN or within [0.5, 16.5], where
            // Java's (int) agrees with x86's truncation once narrowed (NaN gives 0 in both); this simple loop
            // vectorizes. 1/d overflows only for |d| < 2^-128, where x86's cast of +-inf must be copied.
            if (Math.abs(id) != Float.POSITIVE_INFINITY) {
                for (int j = 0; j < QK; j++) levels[j] = Math.min(15, (int) (x[xOff + j] * id + 8.5f));
            } else {
                for (int j = 0; j < QK; j++) levels[j] = Math.min(15, (byte) Numerics.cvtt(x[xOff + j] * id + 8.5f));
            }
            for (int j = 0; j < QK / 2; j++) y[yOff + QS + j] = (byte) (levels[j] | (levels[j + QK / 2] << 4));
        }
    }

    @Override
    void quantizeWeighted(float[] x, int xOff, float[] w, byte[] y, int yOff, Scratch s) {
        float d = Solvers.makeQxQuants(QK, 8, x, xOff, s.levels, 0, 1, w, 0, s.solver);
        LittleEndian.putFp16(y, yOff + D, d); // no requantization against the rounded d
        packNibbles(s.levels, 0, y, yOff + QS);
    }

    @Override
    void dequantizeBlocks(MemorySegment src, long srcOff, float[] dst, int dstOff, int nBlocks) {
        for (int i = 0; i < nBlocks; i++, srcOff += BLOCK_BYTES, dstOff += QK) {
            float d = LittleEndian.getFp16(src, srcOff + D);
            // dst[j] = ((q[j] & 0xF) - 8) * d, dst[16 + j] = ((q[j] >> 4) - 8) * d, 16 lanes at a time
            ByteVector q = ByteLanes.load(src, srcOff + QS);
            ByteLanes.scale(q.and((byte) 0x0F).sub((byte) 8), d, dst, dstOff);
            ByteLanes.scale(q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8), d, dst, dstOff + QK / 2);
        }
    }
}
