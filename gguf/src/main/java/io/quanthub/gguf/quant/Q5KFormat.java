package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

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
        for (int c = 0; c < 4; c++) {
            float d1 = d * ScaleMinK4.scale(y, yOff, 2 * c);
            float m1 = min * ScaleMinK4.min(y, yOff, 2 * c);
            float d2 = d * ScaleMinK4.scale(y, yOff, 2 * c + 1);
            float m2 = min * ScaleMinK4.min(y, yOff, 2 * c + 1);
            int u1 = 1 << (2 * c);
            int u2 = 2 << (2 * c);
            long q = yOff + QS + 32 * c;
            long h = yOff + QH;
            int o = outOff + 64 * c;
            for (int l = 0; l < 32; l++) {
                int q1 = y.get(JAVA_BYTE, q + l) & 0xF;
                out[o + l] = d1 * (q1 + ((y.get(JAVA_BYTE, h + l) & u1) != 0 ? 16 : 0)) - m1;
            }
            for (int l = 0; l < 32; l++) {
                int q2 = (y.get(JAVA_BYTE, q + l) & 0xFF) >> 4;
                out[o + 32 + l] = d2 * (q2 + ((y.get(JAVA_BYTE, h + l) & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }
}
