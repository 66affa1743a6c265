package io.quanthub.gguf.safetensors;

import io.quanthub.gguf.quant.Numerics;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * Element types of safetensors files (their header names), which are also the vocabulary for source tensors in
 * general: a GGUF F32/F16/BF16 tensor is an {@link #F32}/{@link #F16}/{@link #BF16} source. Only the float types
 * {@link #isConvertible() convertible} to a quantized model can be widened to float, and always exactly.
 */
public enum Dtype {
    BOOL(1), U8(1), I8(1),
    /** float8 e4m3fn: 4 exponent bits (bias 7), 3 mantissa bits, no infinities, NaN = S.1111.111. Max 448. */
    F8_E4M3(1),
    /** float8 e5m2: the upper byte of an IEEE fp16 (bias 15, 2 mantissa bits, infinities and NaNs). */
    F8_E5M2(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Every float8 code widened once; widening is then a table lookup. */
    private static final float[] E4M3 = new float[256];
    private static final float[] E5M2 = new float[256];

    static {
        for (int code = 0; code < 256; code++) {
            E4M3[code] = e4m3ToFloat(code);
            E5M2[code] = e5m2ToFloat(code);
        }
    }

    /** Bytes per element. */
    public final int bytes;

    Dtype(int bytes) {
        this.bytes = bytes;
    }

    /** The dtype with this safetensors header name (exact, e.g. "BF16"). */
    public static Optional<Dtype> byName(String name) {
        for (Dtype d : values()) {
            if (d.name().equals(name)) return Optional.of(d);
        }
        return Optional.empty();
    }

    /** True for the float types a quantized model can be made from: F32, F16, BF16 and both float8 types. */
    public boolean isConvertible() {
        return switch (this) {
            case F32, F16, BF16, F8_E4M3, F8_E5M2 -> true;
            default -> false;
        };
    }

    /**
     * Widens {@code count} elements starting at byte {@code srcOffset} of {@code src} to float, exactly.
     *
     * @throws UnsupportedOperationException for types that are not {@link #isConvertible() convertible}
     */
    public void widen(MemorySegment src, long srcOffset, float[] dst, int dstOff, int count) {
        switch (this) {
            case F32 -> MemorySegment.copy(src, FLOAT_LE, srcOffset, dst, dstOff, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = Numerics.fp16ToFp32(src.get(SHORT_LE, srcOffset + 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = Numerics.bf16ToFp32(src.get(SHORT_LE, srcOffset + 2L * i));
                }
            }
            case F8_E4M3, F8_E5M2 -> {
                float[] table = this == F8_E4M3 ? E4M3 : E5M2;
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = table[src.get(ValueLayout.JAVA_BYTE, srcOffset + i) & 0xFF];
                }
            }
            default -> throw new UnsupportedOperationException(
                    "dtype " + this + " cannot be converted; only F32, F16, BF16, F8_E4M3 and F8_E5M2 tensors can");
        }
    }

    /** float8 e4m3fn code to float: subnormals are m * 2^-9, normals (8 + m) * 2^(e-10), 0x7F/0xFF are NaN. */
    static float e4m3ToFloat(int code) {
        int e = (code >>> 3) & 0xF;
        int m = code & 0x7;
        float magnitude;
        if (e == 0xF && m == 0x7) {
            magnitude = Float.NaN;
        } else if (e == 0) {
            magnitude = m * 0x1p-9f;
        } else {
            magnitude = Math.scalb((float) (8 + m), e - 10);
        }
        return (code & 0x80) != 0 ? -magnitude : magnitude;
    }

    /** float8 e5m2 code to float: it is the high byte of an fp16. */
    static float e5m2ToFloat(int code) {
        return Numerics.fp16ToFp32((short) (code << 8));
    }
}
