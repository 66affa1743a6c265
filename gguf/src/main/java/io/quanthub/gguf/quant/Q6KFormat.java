package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static io.quanthub.gguf.quant.Numerics.nearestInt;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Q6_K (spec §6.5): 16 sub-blocks of 16 values, {@code x ≈ d*sc*q} with signed 6-bit q and signed 8-bit sc.
 * Fields ({@link GgmlType#layout}): ql (low 4 bits), qh (high 2 bits), scales (int8), d.
 * Within each 128-value half h, ql[64h+l] holds values l (low nibble) and l+64 (high), ql[64h+32+l] values l+32
 * and l+96, and qh[32h+l] the high bit pairs of l, l+32, l+64, l+96 from bit 0 up.
 */
final class Q6KFormat extends KQuantFormat {
    private static final int QL = GgmlType.Q6_K.layout.offset("ql");
    private static final int QH = GgmlType.Q6_K.layout.offset("qh");
    private static final int SCALES = GgmlType.Q6_K.layout.offset("scales");
    private static final int D = GgmlType.Q6_K.layout.offset("d");
    private static final int BLOCK_BYTES = GgmlType.Q6_K.typeSize;

    Q6KFormat() {
        super(GgmlType.Q6_K);
    }

    @Override
    void quantizeBlock(float[] x, int xOff, byte[] y, int yOff, Scratch s) {
        quantize(x, xOff, null, 0, y, yOff, s);
    }

    /** The weighted path differs only in the solver's weights: the raw importance instead of x². */
    @Override
    void quantizeBlockWeighted(float[] x, int xOff, float[] qw, int qwOff, byte[] y, int yOff, Scratch s) {
        quantize(x, xOff, qw, qwOff, y, yOff, s);
    }

    private static void quantize(float[] x, int xOff, float[] qw, int qwOff, byte[] y, int yOff, Scratch s) {
        byte[] L = s.L;
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = Solvers.makeQxQuants(16, 32, x, xOff + 16 * ib, L, 16 * ib, 1, qw, qwOff + 16 * ib,
                    s.solver);
            s.scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        if (maxAbsScale < Solvers.GROUP_MAX_EPS) {
            Arrays.fill(y, yOff, yOff + BLOCK_BYTES, (byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        LittleEndian.putFp16(y, yOff + D, 1 / iscale);
        for (int ib = 0; ib < 16; ib++) {
            y[yOff + SCALES + ib] = (byte) Math.min(127, nearestInt(iscale * s.scales[ib]));
        }
        float d = LittleEndian.getFp16(y, yOff + D);
        for (int j = 0; j < 16; j++) {
            float dj = d * y[yOff + SCALES + j];
            if (dj == 0) continue;
            Solvers.requantize(x, xOff + 16 * j, 16, 0f, dj, -32, 31, L, 16 * j, s.solver);
        }
        for (int h = 0; h < 2; h++) {
            int b = 128 * h;
            int ql = yOff + QL + 64 * h;
            int qh = yOff + QH + 32 * h;
            for (int l = 0; l < 32; l++) {
                int q1 = L[b + l];
                int q2 = L[b + l + 32];
                int q3 = L[b + l + 64];
                int q4 = L[b + l + 96];
                y[ql + l] = (byte) ((q1 & 0xF) | (q3 & 0xF) << 4);
                y[ql + l + 32] = (byte) ((q2 & 0xF) | (q4 & 0xF) << 4);
                y[qh + l] = (byte) (q1 >> 4 | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
            }
        }
    }

    @Override
    void dequantizeBlock(MemorySegment y, long yOff, float[] out, int outOff) {
        float d = LittleEndian.getFp16(y, yOff + D);
        for (int h = 0; h < 2; h++) {
            long ql = yOff + QL + 64 * h;
            long qh = yOff + QH + 32 * h;
            long sc = yOff + SCALES + 8 * h;
            int o = outOff + 128 * h;
            // Values l, l+32, l+64, l+96 for 16 l at a time: 6-bit levels (low nibble | 2 high bits << 4) - 32, each
            // 16 sharing one scale. out = (d * sc) * q, as ggml's d * sc * q.
            for (int l = 0; l < 32; l += 16) {
                ByteVector low = ByteLanes.load(y, ql + l);
                ByteVector low2 = ByteLanes.load(y, ql + l + 32);
                ByteVector high = ByteLanes.load(y, qh + l);
                long is = sc + l / 16;
                ByteVector q1 = low.and((byte) 0xF).or(high.and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                ByteVector q2 = low2.and((byte) 0xF)
                        .or(high.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                ByteVector q3 = low.lanewise(VectorOperators.LSHR, 4)
                        .or(high.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                ByteVector q4 = low2.lanewise(VectorOperators.LSHR, 4)
                        .or(high.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4));
                ByteLanes.scale(q1.sub((byte) 32), d * y.get(JAVA_BYTE, is), out, o + l);
                ByteLanes.scale(q2.sub((byte) 32), d * y.get(JAVA_BYTE, is + 2), out, o + l + 32);
                ByteLanes.scale(q3.sub((byte) 32), d * y.get(JAVA_BYTE, is + 4), out, o + l + 64);
                ByteLanes.scale(q4.sub((byte) 32), d * y.get(JAVA_BYTE, is + 6), out, o + l + 96);
            }
        }
    }
}
