package io.quanthub.tornado;

import io.quanthub.gguf.GgmlType;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The matmul for the 256-value super-block types (Q2_K .. Q6_K, IQ4_XS), reading the blocks as the GGUF file stores
 * them: one kernel per type, all the same loop ({@code out[t][o] = sum over blocks of blockDot + bias}), each with the
 * block decoding of the CPU dequantizer it mirrors (gguf's Q2KFormat .. Q6KFormat, IQ4Format). Field offsets are
 * constants here, so the kernels compile to plain loads; {@code KQuantLayoutTest} checks them against
 * {@link GgmlType}'s layouts.
 *
 * <p>Levels that go negative (a zero point or offset subtracted) are subtracted in float: TornadoVM's OpenCL code
 * generator types the result of {@code byte & 0xFF} as unsigned, so an int subtraction below zero wraps to ~4e9.
 */
final class KQuantMatmulKernels {
    static final int QK_K = 256;
    /** Bytes per block. */
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

    private KQuantMatmulKernels() {
    }

    static boolean supports(GgmlType type) {
        return switch (type) {
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> true;
            default -> false;
        };
    }

    // One kernel per type; the loop is the same, the block decoding differs.

    static void q2k(FloatArray x, ByteArray w, FloatArray fp16, FloatArray bias, FloatArray out, int tokens, int in,
                    int outDim, int hasBias) {
        for (@Parallel int t = 0; t < tokens; t++) {
            for (@Parallel int o = 0; o < outDim; o++) {
                int blocks = in / QK_K;
                float sum = 0f;
                for (int b = 0; b < blocks; b++) {
                    sum += q2kDot(x, t * in + b * QK_K, w, (o * blocks + b) * Q2K_BYTES, fp16);
                }
                out.set(t * outDim + o, hasBias == 1 ? sum + bias.get(o) : sum);
            }
        }
    }

    static void q3k(FloatArray x, ByteArray w, FloatArray fp16, FloatArray bias, FloatArray out, int tokens, int in,
                    int outDim, int hasBias) {
        for (@Parallel int t = 0; t < tokens; t++) {
            for (@Parallel int o = 0; o < outDim; o++) {
                int blocks = in / QK_K;
                float sum = 0f;
                for (int b = 0; b < blocks; b++) {
                    sum += q3kDot(x, t * in + b * QK_K, w, (o * blocks + b) * Q3K_BYTES, fp16);
                }
                out.set(t * outDim + o, hasBias == 1 ? sum + bias.get(o) : sum);
            }
        }
    }

    static void q4k(FloatArray x, ByteArray w, FloatArray fp16, FloatArray bias, FloatArray out, int tokens, int in,
                    int outDim, int hasBias) {
        for (@Parallel int t = 0; t < tokens; t++) {
            for (@Parallel int o = 0; o < outDim; o++) {
                int blocks = in / QK_K;
                float sum = 0f;
                for (int b = 0; b < blocks; b++) {
                    sum += q4kDot(x, t * in + b * QK_K, w, (o * blocks + b) * Q4K_BYTES, fp16);
                }
                out.set(t * outDim + o, hasBias == 1 ? sum + bias.get(o) : sum);
            }
        }
    }

    static void q5k(FloatArray x, ByteArray w, FloatArray fp16, FloatArray bias, FloatArray out, int tokens, int in,
                    int outDim, int hasBias) {
        for (@Parallel int t = 0; t < tokens; t++) {
            for (@Parallel int o = 0; o < outDim; o++) {
                int blocks = in / QK_K;
                float sum = 0f;
                for (int b = 0; b < blocks; b++) {
                    sum += q5kDot(x, t * in + b * QK_K, w, (o * blocks + b) * Q5K_BYTES, fp16);
                }
                out.set(t * outDim + o, hasBias == 1 ? sum + bias.get(o) : sum);
            }
        }
    }

    static void q6k(FloatArray x, ByteArray w, FloatArray fp16, FloatArray bias, FloatArray out, int tokens, int in,
                    int outDim, int hasBias) {
        for (@Parallel int t = 0; t < tokens; t++) {
            for (@Parallel int o = 0; o < outDim; o++) {
                int blocks = in / QK_K;
                float sum = 0f;
                for (int b = 0; b < blocks; b++) {
                    sum += q6kDot(x, t * in + b * QK_K, w, (o * blocks + b) * Q6K_BYTES, fp16);
                }
                out.set(t * outDim + o, hasBias == 1 ? sum + bias.get(o) : sum);
            }
        }
    }

    static void iq4xs(FloatArray x, ByteArray w, FloatArray fp16, FloatArray codebook, FloatArray bias,
                      FloatArray out, int tokens, int in, int outDim, int hasBias) {
        for (@Parallel int t = 0; t < tokens; t++) {
            for (@Parallel int o = 0; o < outDim; o++) {
                int blocks = in / QK_K;
                float sum = 0f;
                for (int b = 0; b < blocks; b++) {
                    sum += iq4xsDot(x, t * in + b * QK_K, w, (o * blocks + b) * IQ4XS_BYTES, fp16, codebook);
                }
                out.set(t * outDim + o, hasBias == 1 ? sum + bias.get(o) : sum);
            }
        }
    }

    // Block decoding: sum_e x[xo + e] * value_e over the 256 values of the block at byte bo.

    /** 16 sub-blocks of 16 values: 2-bit levels, a 4-bit scale and a 4-bit min each. */
    static float q2kDot(FloatArray x, int xo, ByteArray w, int bo, FloatArray fp16) {
        float d = Blocks.fp16(w, bo + Q2K_D, fp16);
        float min = Blocks.fp16(w, bo + Q2K_DMIN, fp16);
        float sum = 0f;
        for (int sub = 0; sub < 16; sub++) {
            // sub = 8 * half + 2 * j + k: values 128 half + 32 j + 16 k + l, bit pair j of qs[32 half + 16 k + l]
            int half = sub / 8;
            int j = (sub % 8) / 2;
            int k = sub % 2;
            int sc = Blocks.u8(w, bo + Q2K_SCALES + sub);
            float dl = d * (sc & 15);
            float ml = min * (sc >> 4);
            int q = bo + Q2K_QS + 32 * half + 16 * k;
            int e = 128 * half + 32 * j + 16 * k;
            for (int l = 0; l < 16; l++) {
                int level = (Blocks.u8(w, q + l) >> (2 * j)) & 3;
                sum += x.get(xo + e + l) * (dl * level - ml);
            }
        }
        return sum;
    }

    /** 16 sub-blocks of 16 values: 2 low bits in qs, the third (inverted) in hmask, 6-bit signed scales. */
    static float q3kDot(FloatArray x, int xo, ByteArray w, int bo, FloatArray fp16) {
        float dAll = Blocks.fp16(w, bo + Q3K_D, fp16);
        float sum = 0f;
        for (int sub = 0; sub < 16; sub++) {
            int half = sub / 8;
            int j = (sub % 8) / 2;
            int k = sub % 2;
            float dl = dAll * q3kScale(w, bo, sub);
            int q = bo + Q3K_QS + 32 * half + 16 * k;
            int h = bo + Q3K_HMASK + 16 * k;
            int e = 128 * half + 32 * j + 16 * k;
            for (int l = 0; l < 16; l++) {
                // A set hmask bit adds nothing, a clear one subtracts 4 (written without a branch: a conditional
                // expression here trips an assertion in TornadoVM's OpenCL code generator).
                int highBit = (Blocks.u8(w, h + l) >> (4 * half + j)) & 1;
                float level = (float) (((Blocks.u8(w, q + l) >> (2 * j)) & 3) + 4 * highBit) - 4f;
                sum += x.get(xo + e + l) * (dl * level);
            }
        }
        return sum;
    }

    /** Q3_K's 6-bit scale of sub-block j: 4 low bits from bytes 0..7, 2 high bits from bytes 8..11, minus 32. */
    static float q3kScale(ByteArray w, int bo, int j) {
        int sc = bo + Q3K_SCALES;
        int lo = (Blocks.u8(w, sc + (j & 7)) >> (4 * (j >> 3))) & 15;
        int hi = (Blocks.u8(w, sc + 8 + (j & 3)) >> (2 * (j >> 2))) & 3;
        return (float) (lo | hi << 4) - 32f;
    }

    /** 8 sub-blocks of 32 values: 4-bit levels, 6-bit scales and mins (get_scale_min_k4). */
    static float q4kDot(FloatArray x, int xo, ByteArray w, int bo, FloatArray fp16) {
        float d = Blocks.fp16(w, bo + K4_D, fp16);
        float min = Blocks.fp16(w, bo + K4_DMIN, fp16);
        float sum = 0f;
        for (int c = 0; c < 4; c++) {
            float d1 = d * k4Scale(w, bo, 2 * c);
            float m1 = min * k4Min(w, bo, 2 * c);
            float d2 = d * k4Scale(w, bo, 2 * c + 1);
            float m2 = min * k4Min(w, bo, 2 * c + 1);
            int q = bo + Q4K_QS + 32 * c;
            int e = 64 * c;
            for (int l = 0; l < 32; l++) {
                int packed = Blocks.u8(w, q + l);
                sum += x.get(xo + e + l) * (d1 * (packed & 15) - m1);
                sum += x.get(xo + e + 32 + l) * (d2 * (packed >> 4) - m2);
            }
        }
        return sum;
    }

    /** {@link #q4kDot} with a fifth bit per value from qh (bit 2c for the low nibbles, 2c + 1 for the high). */
    static float q5kDot(FloatArray x, int xo, ByteArray w, int bo, FloatArray fp16) {
        float d = Blocks.fp16(w, bo + K4_D, fp16);
        float min = Blocks.fp16(w, bo + K4_DMIN, fp16);
        float sum = 0f;
        for (int c = 0; c < 4; c++) {
            float d1 = d * k4Scale(w, bo, 2 * c);
            float m1 = min * k4Min(w, bo, 2 * c);
            float d2 = d * k4Scale(w, bo, 2 * c + 1);
            float m2 = min * k4Min(w, bo, 2 * c + 1);
            int q = bo + Q5K_QS + 32 * c;
            int e = 64 * c;
            for (int l = 0; l < 32; l++) {
                int packed = Blocks.u8(w, q + l);
                int high = Blocks.u8(w, bo + Q5K_QH + l);
                int lo = (packed & 15) + (((high >> (2 * c)) & 1) << 4);
                int hi = (packed >> 4) + (((high >> (2 * c + 1)) & 1) << 4);
                sum += x.get(xo + e + l) * (d1 * lo - m1);
                sum += x.get(xo + e + 32 + l) * (d2 * hi - m2);
            }
        }
        return sum;
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
     * 16 sub-blocks of 16 values: 6-bit levels (4 bits in ql, 2 in qh) minus 32, signed 8-bit scales. One value per
     * iteration: value e is quarter {@code (e % 128) / 32} of half {@code e / 128}, whose low bits are the low or high
     * nibble of ql and whose high bits are bit pair {@code quarter} of qh.
     */
    static float q6kDot(FloatArray x, int xo, ByteArray w, int bo, FloatArray fp16) {
        float d = Blocks.fp16(w, bo + Q6K_D, fp16);
        float sum = 0f;
        for (int e = 0; e < QK_K; e++) {
            int h = e >> 7;
            int quarter = (e & 127) >> 5;
            int l = e & 31;
            int low = (Blocks.u8(w, bo + Q6K_QL + 64 * h + 32 * (quarter & 1) + l) >> (4 * (quarter >> 1))) & 15;
            int high = (Blocks.u8(w, bo + Q6K_QH + 32 * h + l) >> (2 * quarter)) & 3;
            int scale = w.get(bo + Q6K_SCALES + 8 * h + 2 * quarter + (l >> 4));
            sum += x.get(xo + e) * (d * scale * ((float) (low | high << 4) - 32f));
        }
        return sum;
    }

    /** 8 sub-blocks of 32 values: IQ4_NL codebook levels, 6-bit scales (4 bits in scales_l, 2 in scales_h) minus 32. */
    static float iq4xsDot(FloatArray x, int xo, ByteArray w, int bo, FloatArray fp16, FloatArray codebook) {
        float d = Blocks.fp16(w, bo + IQ4XS_D, fp16);
        int scalesH = Blocks.u16(w, bo + IQ4XS_SCALES_H);
        float sum = 0f;
        for (int ib = 0; ib < 8; ib++) {
            int ls = ((Blocks.u8(w, bo + IQ4XS_SCALES_L + (ib >> 1)) >> (4 * (ib & 1))) & 15)
                    | (((scalesH >> (2 * ib)) & 3) << 4);
            float dl = d * ((float) ls - 32f);
            // Value j: the low nibble of byte j for j < 16, the high nibble of byte j - 16 after; one per iteration.
            for (int j = 0; j < 32; j++) {
                int level = (Blocks.u8(w, bo + IQ4XS_QS + 16 * ib + (j & 15)) >> (4 * (j >> 4))) & 15;
                sum += x.get(xo + 32 * ib + j) * (dl * codebook.get(level));
            }
        }
        return sum;
    }
}
