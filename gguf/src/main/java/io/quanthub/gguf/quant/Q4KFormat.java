package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Q4_K (spec §6.3): 8 sub-blocks of 32 values, {@code x ≈ d*sc*q - dmin*m} with 4-bit q and 6-bit sc, m.
 * Fields ({@link GgmlType#layout}): d, dmin, scales, qs; qs byte 32c+l holds value 64c+l in its low
 * nibble and value 64c+32+l in its high nibble.
 */
final class Q4KFormat extends KQuantFormat {
    private static final int QS = GgmlType.Q4_K.layout.offset("qs");

    Q4KFormat() {
        super(GgmlType.Q4_K);
    }

    @Override
    void quantizeBlock(float[] x, int xOff, byte[] y, int yOff, Scratch s) {
        ScaleMinK4.chooseReference(x, xOff, y, yOff, s, 15, -1f, 0.1f, 20);
        pack(s.L, y, yOff);
    }

    @Override
    void quantizeBlockWeighted(float[] x, int xOff, float[] qw, int qwOff, byte[] y, int yOff, Scratch s) {
        ScaleMinK4.chooseWeighted(x, xOff, qw, qwOff, y, yOff, s, 15, false);
        pack(s.L, y, yOff);
    }

    private static void pack(byte[] L, byte[] y, int yOff) {
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                y[yOff + QS + 32 * c + l] = (byte) (L[64 * c + l] | L[64 * c + 32 + l] << 4);
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
            // out[o + l] = d1 * (y[q + l] & 0xF) - m1, out[o + 32 + l] = d2 * ((y[q + l] & 0xFF) >> 4) - m2
            for (int l = 0; l < 32; l += 16) {
                ByteVector v = ByteLanes.load(y, q + l);
                ByteLanes.scaleMinus(v.and((byte) 0xF), d1, m1, out, o + l);
                ByteLanes.scaleMinus(v.lanewise(VectorOperators.LSHR, 4), d2, m2, out, o + 32 + l);
            }
        }
    }
}
