package io.quanthub.tornado;

import io.quanthub.gguf.GgmlType;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The values of the 256-value super-block types (Q2_K .. Q6_K, IQ4_XS), read inside the matmul kernel
 * (one per type in {@link TiledMatmulKernels}) from the bytes as the GGUF file stores them: each decoder gives value e
 * of a block as the CPU dequantizer it mirrors does (gguf's Q2KFormat .. Q6KFormat, IQ4Format). Field offsets
 * are constants here, so the kernel compiles to plain loads; {@code KQuantLayoutTest} checks them against
 * {@link GgmlType}'s layouts.
 *
 * <p>Levels that go negative (a zero point or offset subtracted) are subtracted in float: TornadoVM's OpenCL code
 * generator types the result of {@code byte & 0xFF} as unsigned, so an int subtraction below zero wraps to ~4e9.
 */
final class KQuantBlocks {
    static final int QK_K = 256;
    /** Bytes per block (the kernels step through rows by them; {@code KQuantLayoutTest} checks them). */
    static final int Q2K_BYTES = 84, Q3K_BYTES = 110, Q4K_BYTES = 144, Q5K_BYTES = 176, Q6K_BYTES = 210,
            IQ4XS_BYTES = 136;

    static final int Q2K_SCALES = 0, Q2K_QS = 16, Q2K_D = 80, Q2K_DMIN = 82;
    static final int Q3K_HMASK = 0, Q3K_QS = 32, Q3K_SCALES = 96, Q3K_D = 108;
    /** Q4_K and Q5_K share the head: d, dmin, 12 bytes of 6-bit scales and mins. */
    static final int K4_D = 0, K4_DMIN = 2, K4_SCALES = 4;
    static final int Q4K_QS = 16;
    static final int Q5K_QH = 16, Q5K_QS = 48;
    static final int Q6K_QL = 0, Q6K_QH = 128, Q6K_SCALES = 192, Q6K_D = 208;
    static final int IQ4XS_D = 0, IQ4XS_SCALES_H = 2, IQ4XS_SCALES_L = 4, IQ4XS_QS = 8;

    private KQuantBlocks() {
    }

    static boolean supports(GgmlType type) {
        return switch (type) {
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> true;
            default -> false;
        };
    }

    /**
     * 16 sub-blocks of 16 values: 2-bit levels, a 4-bit scale and a 4-bit min each. Value
     * {@code e = 128 half + 32 j + 16 k + l} is bit pair j of {@code qs[32 half + 16 k + l]}, sub-block
     * {@code 8 half + 2 j + k}.
     */
    static float q2k(ByteArray w, int bo, int e, FloatArray fp16) {
        int half = e >> 7;
        int j = (e >> 5) & 3;
        int k = (e >> 4) & 1;
        int l = e & 15;
        int sc = Blocks.u8(w, bo + Q2K_SCALES + 8 * half + 2 * j + k);
        int level = (Blocks.u8(w, bo + Q2K_QS + 32 * half + 16 * k + l) >> (2 * j)) & 3;
        float dl = Blocks.fp16(w, bo + Q2K_D, fp16) * (sc & 15);
        float ml = Blocks.fp16(w, bo + Q2K_DMIN, fp16) * (sc >> 4);
        return dl * level - ml;
    }

    /** Q2_K's positions; the third bit (inverted: clear means minus 4) is bit {@code 4 half + j} of hmask[16 k + l]. */
    static float q3k(ByteArray w, int bo, int e, FloatArray fp16) {
        int half = e >> 7;
        int j = (e >> 5) & 3;
        int k = (e >> 4) & 1;
        int l = e & 15;
        int highBit = (Blocks.u8(w, bo + Q3K_HMASK + 16 * k + l) >> (4 * half + j)) & 1;
        int low = (Blocks.u8(w, bo + Q3K_QS + 32 * half + 16 * k + l) >> (2 * j)) & 3;
        float level = (float) (low + 4 * highBit) - 4f;
        float dl = Blocks.fp16(w, bo + Q3K_D, fp16) * q3kScale(w, bo, 8 * half + 2 * j + k);
        return dl * level;
    }

    /** Q3_K's 6-bit scale of sub-block j: 4 low bits from bytes 0..7, 2 high bits from bytes 8..11, minus 32. */
    static float q3kScale(ByteArray w, int bo, int j) {
        int sc = bo + Q3K_SCALES;
        int lo = (Blocks.u8(w, sc + (j & 7)) >> (4 * (j >> 3))) & 15;
        int hi = (Blocks.u8(w, sc + 8 + (j & 3)) >> (2 * (j >> 2))) & 3;
        return (float) (lo | hi << 4) - 32f;
    }

    /**
     * 8 sub-blocks of 32 values: 4-bit levels, 6-bit scales and mins. Value {@code e = 64 c + 32 hi + l} is nibble hi
     * of {@code qs[32 c + l]}, sub-block {@code 2 c + hi}.
     */
    static float q4k(ByteArray w, int bo, int e, FloatArray fp16) {
        int c = e >> 6;
        int hi = (e >> 5) & 1;
        int l = e & 31;
        int sub = 2 * c + hi;
        int level = (Blocks.u8(w, bo + Q4K_QS + 32 * c + l) >> (4 * hi)) & 15;
        float d = Blocks.fp16(w, bo + K4_D, fp16) * k4Scale(w, bo, sub);
        float m = Blocks.fp16(w, bo + K4_DMIN, fp16) * k4Min(w, bo, sub);
        return d * level - m;
    }

    /** {@link #q4k} with a fifth bit, bit {@code 2 c + hi} of {@code qh[l]}. */
    static float q5k(ByteArray w, int bo, int e, FloatArray fp16) {
        int c = e >> 6;
        int hi = (e >> 5) & 1;
        int l = e & 31;
        int sub = 2 * c + hi;
        int level = ((Blocks.u8(w, bo + Q5K_QS + 32 * c + l) >> (4 * hi)) & 15)
                + (((Blocks.u8(w, bo + Q5K_QH + l) >> sub) & 1) << 4);
        float d = Blocks.fp16(w, bo + K4_D, fp16) * k4Scale(w, bo, sub);
        float m = Blocks.fp16(w, bo + K4_DMIN, fp16) * k4Min(w, bo, sub);
        return d * level - m;
    }

    /** The 6-bit scale of sub-block j of a Q4_K/Q5_K block (ggml's get_scale_min_k4, first output). */
    static int k4Scale(ByteArray w, int bo, int j) {
        int q = bo + K4_SCALES;
        return j < 4 ? Blocks.u8(w, q + j) & 63 : (Blocks.u8(w, q + j + 4) & 15) | (Blocks.u8(w, q + j - 4) >> 6) << 4;
    }

    /** The 6-bit min of sub-block j (get_scale_min_k4, second output). */
    static int k4Min(ByteArray w, int bo, int j) {
        int q = bo + K4_SCALES;
        return j < 4 ? Blocks.u8(w, q + j + 4) & 63 : (Blocks.u8(w, q + j + 4) >> 4) | (Blocks.u8(w, q + j) >> 6) << 4;
    }

    /**
     * 16 sub-blocks of 16 values: 6-bit levels minus 32, signed 8-bit scales. Value e is quarter
     * {@code (e % 128) / 32} of half {@code e / 128}: its low bits are the low or high nibble of ql, its high bits bit
     * pair {@code quarter} of qh.
     */
    static float q6k(ByteArray w, int bo, int e, FloatArray fp16) {
        int h = e >> 7;
        int quarter = (e & 127) >> 5;
        int l = e & 31;
        int low = (Blocks.u8(w, bo + Q6K_QL + 64 * h + 32 * (quarter & 1) + l) >> (4 * (quarter >> 1))) & 15;
        int high = (Blocks.u8(w, bo + Q6K_QH + 32 * h + l) >> (2 * quarter)) & 3;
        int scale = w.get(bo + Q6K_SCALES + 8 * h + 2 * quarter + (l >> 4));
        return Blocks.fp16(w, bo + Q6K_D, fp16) * scale * ((float) (low | high << 4) - 32f);
    }

    /**
     * 8 sub-blocks of 32 values: IQ4_NL codebook levels, 6-bit scales (4 bits in scales_l, 2 in scales_h) minus 32.
     * Value j of sub-block ib is the low nibble of {@code qs[16 ib + j]} for j < 16, the high nibble of byte j - 16
     * after.
     */
    static float iq4xs(ByteArray w, int bo, int e, FloatArray fp16, FloatArray codebook) {
        int ib = e >> 5;
        int j = e & 31;
        int ls = ((Blocks.u8(w, bo + IQ4XS_SCALES_L + (ib >> 1)) >> (4 * (ib & 1))) & 15)
                | (((Blocks.u16(w, bo + IQ4XS_SCALES_H) >> (2 * ib)) & 3) << 4);
        float dl = Blocks.fp16(w, bo + IQ4XS_D, fp16) * ((float) ls - 32f);
        int level = (Blocks.u8(w, bo + IQ4XS_QS + 16 * ib + (j & 15)) >> (4 * (j >> 4))) & 15;
        return dl * codebook.get(level);
    }
}
