package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The plain float types, written the way {@code ggml_quantize_chunk} writes them: F32 is a copy of the bits, F16 goes
 * through {@code ggml_fp32_to_fp16_row} and BF16 through {@code ggml_fp32_to_bf16_row_ref} (both round to nearest
 * even, see {@link Numerics}). Reading them back is exact widening. The importance matrix has no meaning here.
 */
enum FloatFormats implements QuantFormat {
    F32(GgmlType.F32) {
        private static final ValueLayout.OfFloat LE_FLOAT =
                ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        @Override
        void encode(float[] src, int srcOff, byte[] dst, int dstOff, int n) {
            // A raw copy: NaN payloads survive, as with ggml's memcpy.
            MemorySegment.copy(src, srcOff, MemorySegment.ofArray(dst), LE_FLOAT, dstOff, n);
        }

        @Override
        void decode(byte[] src, int srcOff, float[] dst, int dstOff, int n) {
            MemorySegment.copy(MemorySegment.ofArray(src), LE_FLOAT, srcOff, dst, dstOff, n);
        }
    },
    F16(GgmlType.F16) {
        @Override
        void encode(float[] src, int srcOff, byte[] dst, int dstOff, int n) {
            for (int i = 0; i < n; i++) {
                LittleEndian.putShort(dst, dstOff + 2 * i, Numerics.fp32ToFp16(src[srcOff + i]));
            }
        }

        @Override
        void decode(byte[] src, int srcOff, float[] dst, int dstOff, int n) {
            for (int i = 0; i < n; i++) {
                dst[dstOff + i] = Numerics.fp16ToFp32(LittleEndian.getShort(src, srcOff + 2 * i));
            }
        }
    },
    BF16(GgmlType.BF16) {
        @Override
        void encode(float[] src, int srcOff, byte[] dst, int dstOff, int n) {
            for (int i = 0; i < n; i++) {
                LittleEndian.putShort(dst, dstOff + 2 * i, Numerics.fp32ToBf16(src[srcOff + i]));
            }
        }

        @Override
        void decode(byte[] src, int srcOff, float[] dst, int dstOff, int n) {
            for (int i = 0; i < n; i++) {
                dst[dstOff + i] = Numerics.bf16ToFp32(LittleEndian.getShort(src, srcOff + 2 * i));
            }
        }
    };

    private final GgmlType type;

    FloatFormats(GgmlType type) {
        this.type = type;
    }

    abstract void encode(float[] src, int srcOff, byte[] dst, int dstOff, int n);

    abstract void decode(byte[] src, int srcOff, float[] dst, int dstOff, int n);

    @Override
    public GgmlType type() {
        return type;
    }

    @Override
    public void quantize(float[] src, int srcOff, byte[] dst, int dstOff, int nRows, int nPerRow, float[] imatrix) {
        QuantArgs.checkQuantize(type, src, srcOff, dst, dstOff, nRows, nPerRow, imatrix);
        encode(src, srcOff, dst, dstOff, nRows * nPerRow);
    }

    @Override
    public void dequantize(byte[] src, int srcOff, float[] dst, int dstOff, int n) {
        QuantArgs.checkDequantize(type, src, srcOff, dst, dstOff, n);
        decode(src, srcOff, dst, dstOff, n);
    }
}
