package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;


/**
 * Q5_K (spec §6.4): Q4_K with 5-bit q. Fields: d, dmin, scales, qh, qs.
 * The low 4 bits are packed as in Q4_K; bit 2c (low half) or 2c+1 (high half) of qh[l] holds the fifth bit of the
 * values in 64-value chunk c.
 */
final class Q5KFormat extends KQuantFormat {
    private static final int QH = GgmlType.Q5_K.layout.offset("qh");
    private static final int QS = GgmlType.Q5_K.layout.offset("qs");

    Q5KFormat() {
        super(GgmlType.Q5_K);
    }

    @Override
    void quantizeBlock(float[] x, int xOff, byte[] y, int yOff, Scratch s) {
        ScaleMinK4.chooseReference(x, xOff, y, yOff, s, 31, -0.5f, 0.1f, 15);
        pack(s.L, y, yOff);
    }

    @Override
    void quantizeBlockWeighted(float[] x, int xOff, float[] qw, int qwOff, byte[] y, int yOff, Scratch s) {
        ScaleMinK4.chooseWeighted(x, xOff, qw, qwOff, y, yOff, s, 31, true);
        pack(s.L, y, yOff);
    }

    private static void pack(byte[] L, byte[] y, int yOff) {
        for (int l = 0; l < 32; l++) y[yOff + QH + l] = 0;
        for (int c = 0; c < 4; c++) {
            int m1 = 1 << (2 * c);
            int m2 = 2 << (2 * c);
            for (int l = 0; l < 32; l++) {
                int l1 = L[64 * c + l];
                if (l1 > 15) {
                    l1 -= 16;
                    y[yOff + QH + l] |= (byte) m1;
                }
                int l2 = L[64 * c + 32 + l];
                if (l2 > 15) {
                    l2 -= 16;
                    y[yOff + QH + l] |= (byte) m2;
                }
                y[yOff + QS + 32 * c + l] = (byte) (l1 | l2 << 4);
            }
        }
    }

    @Override
    void dequantizeBlock(MemorySegment y, long yOff, float[] out, int outOff) {
        float d = LittleEndian.getFp16(y, yOff + ScaleMinK4.D);
        float min = LittleEndian.getFp16(y, yOff + ScaleMinK4.DMIN);
        long s8 = LittleEndian.getLong(y, yOff + ScaleMinK4.SCALES);
        int s4 = LittleEndian.getInt(y, yOff + ScaleMinK4.SCALES + 8);
        for (int c = 0; c < 4; c++) {
            float d1 = d * ScaleMinK4.scale(s8, s4, 2 * c);
            float m1 = min * ScaleMinK4.min(s8, s4, 2 * c);
            float d2 = d * ScaleMinK4.scale(s8, s4, 2 * c + 1);
            float m2 = min * ScaleMinK4.min(s8, s4, 2 * c + 1);
            long q = yOff + QS + 32 * c;
            int o = outOff + 64 * c;
            // 5-bit levels: a nibble of qs, plus 16 where qh bit 2c (first 32 values) or 2c+1 (next 32) is set.
            for (int l = 0; l < 32; l += 16) {
                ByteVector v = ByteLanes.load(y, q + l);
                ByteVector h = ByteLanes.load(y, yOff + QH + l);
                ByteVector h1 = h.lanewise(VectorOperators.LSHR, 2 * c).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
                ByteVector h2 = h.lanewise(VectorOperators.LSHR, 2 * c + 1).and((byte) 1)
                        .lanewise(VectorOperators.LSHL, 4);
                ByteLanes.scaleMinus(v.and((byte) 0xF).or(h1), d1, m1, out, o + l);
                ByteLanes.scaleMinus(v.lanewise(VectorOperators.LSHR, 4).or(h2), d2, m2, out, o + 32 + l);
            }
        }
    }
}
