package io.quanthub.gguf.quant;

/**
 * The scalar primitives whose exact behaviour ggml's bytes depend on (spec: gguf-and-quants.md §3).
 * Every quantizer goes through these; none of them may use {@code Math.fma} or {@code Math.round}.
 */
public final class Numerics {
    private Numerics() {
    }

    /** fp32 -> fp16 bits, round to nearest even, NaN -> sign|0x7E00, -0.0 -> 0x8000 (ggml_compute_fp32_to_fp16). */
    public static short fp32ToFp16(float f) {
        // Java's conversion is the same IEEE round-to-nearest-even as ggml's software routine (and an intrinsic);
        // only NaNs differ: ggml keeps the sign and returns the canonical quiet NaN. NumericsTest checks it against ggml.
        if (f != f) return (short) (((Float.floatToRawIntBits(f) >>> 16) & 0x8000) | 0x7E00);
        return Float.floatToFloat16(f);
    }

    /** fp16 bits -> fp32, exact (NaNs get the quiet bit, as ggml's float multiply does). */
    public static float fp16ToFp32(short bits) {
        int h = bits & 0xFFFF;
        int s = (h & 0x8000) << 16;
        int e = (h >>> 10) & 31;
        int m = h & 1023;
        if (e == 0) {
            float v = m * 0x1p-24f;
            return s != 0 ? -v : v;
        }
        if (e == 31) {
            return Float.intBitsToFloat(m == 0 ? s | 0x7F800000 : s | 0x7FC00000 | (m << 13));
        }
        return Float.intBitsToFloat(s | ((e + 112) << 23) | (m << 13));
    }

    /** fp32 -> bf16 bits, round to nearest even, NaN forced quiet (ggml_compute_fp32_to_bf16). */
    public static short fp32ToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7FFFFFFF) > 0x7F800000) return (short) ((u >>> 16) | 0x40);
        return (short) ((u + 0x7FFF + ((u >>> 16) & 1)) >>> 16);
    }

    public static float bf16ToFp32(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** ggml's nearest_int: round half to even through the 1.5*2^23 trick, garbage (as in C) outside +-4194303. */
    public static int nearestInt(float f) {
        float v = f + 12582912.0f;
        return (Float.floatToRawIntBits(v) & 0x007FFFFF) - 0x00400000;
    }

    /** C's roundf: half away from zero. */
    public static float roundf(float f) {
        return (float) Math.copySign(Math.floor(Math.abs((double) f) + 0.5), f);
    }

    /** x86 cvttss2si: truncation toward zero, 0x80000000 for NaN and out-of-range values (C's float -> int cast). */
    public static int cvtt(float f) {
        if (Float.isNaN(f) || f >= 0x1p31f || f < -0x1p31f) return Integer.MIN_VALUE;
        return (int) f;
    }
}
