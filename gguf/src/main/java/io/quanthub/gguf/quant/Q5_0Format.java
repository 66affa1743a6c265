package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;


/**
 * Q5_0: 32 5-bit levels around 16 and one fp16 scale {@code d = max/-16} (spec §4.3). Fields: d, qh (one
 * little-endian u32), qs. The weighted path uses {@code make_qx_quants} (spec §6.6).
 */
final class Q5_0Format extends LegacyBlockFormat {
    private static final int BLOCK_BYTES = GgmlType.Q5_0.typeSize;
    private static final int D = GgmlType.Q5_0.layout.offset("d");
    private static final int QH = GgmlType.Q5_0.layout.offset("qh");
    private static final int QS = GgmlType.Q5_0.layout.offset("qs");

    Q5_0Format() {
        super(GgmlType.Q5_0);
    }

    @Override
    void quantizeRef(float[] x, int xOff, byte[] y, int yOff, int nBlocks) {
        byte[] levels = new byte[QK];
        for (int i = 0; i < nBlocks; i++, xOff += QK, yOff += BLOCK_BYTES) {
            float max = firstAbsMax(x, xOff);
            float d = max / -16.0f;
            float id = d != 0 ? 1.0f / d : 0.0f;
            LittleEndian.putFp16(y, yOff + D, d);
            // C: MIN(31, (int8_t)(x*id + 16.5f)) stored to uint8_t; see Q4_0Format for why (int) is exact with a
            // finite id.
            if (Math.abs(id) != Float.POSITIVE_INFINITY) {
                for (int j = 0; j < QK; j++) levels[j] = (byte) Math.min(31, (int) (x[xOff + j] * id + 16.5f));
            } else {
                for (int j = 0; j < QK; j++) {
                    levels[j] = (byte) Math.min(31, (byte) Numerics.cvtt(x[xOff + j] * id + 16.5f));
                }
            }
            packFiveBits(levels, y, yOff + QH, yOff + QS);
        }
    }

    @Override
    void quantizeWeighted(float[] x, int xOff, float[] w, byte[] y, int yOff, Scratch s) {
        float d = Solvers.makeQxQuants(QK, 16, x, xOff, s.levels, 0, 1, w, 0, s.solver);
        LittleEndian.putFp16(y, yOff + D, d);
        packFiveBits(s.levels, y, yOff + QH, yOff + QS);
    }

    @Override
    void dequantizeBlocks(MemorySegment src, long srcOff, float[] dst, int dstOff, int nBlocks) {
        for (int i = 0; i < nBlocks; i++, srcOff += BLOCK_BYTES, dstOff += QK) {
            float d = LittleEndian.getFp16(src, srcOff + D);
            // dst[j] = (((q[j] & 0xF) | qh bit j << 4) - 16) * d, dst[16 + j] with q[j] >> 4 and qh bit 16 + j
            ByteVector q = ByteLanes.load(src, srcOff + QS);
            ByteVector qh = ByteLanes.load(src, srcOff + QH);
            ByteLanes.scale(q.and((byte) 0x0F).or(fifthBits(qh, 0)).sub((byte) 16), d, dst, dstOff);
            ByteLanes.scale(q.lanewise(VectorOperators.LSHR, 4).or(fifthBits(qh, 1)).sub((byte) 16), d, dst,
                    dstOff + QK / 2);
        }
    }
}
