package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

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

        /** One bulk copy. */
        @Override
        void decode(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
            MemorySegment.copy(src, LE_FLOAT, srcOff, dst, dstOff, n);
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
        void decode(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
            int i = 0;
            // Numerics.fp16ToFp32 in each lane. Zeros, subnormals and normals: the exponent and mantissa bits moved
            // to a float's place and scaled by 2^112, which is exact. Infinities and NaNs (exponent 31): all exponent
            // bits, the mantissa moved up, NaNs made quiet.
            for (; i <= n - Lanes.FLOATS.length(); i += Lanes.FLOATS.length()) {
                IntVector h = Lanes.halves(src, srcOff + 2L * i);
                IntVector magnitude = h.and(0x7FFF);
                IntVector finite = magnitude.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts();
                IntVector mantissa = h.and(0x3FF);
                IntVector special = mantissa.lanewise(VectorOperators.LSHL, 13).or(0x7F800000)
                        .blend(mantissa.lanewise(VectorOperators.LSHL, 13).or(0x7FC00000),
                                mantissa.compare(VectorOperators.NE, 0));
                finite.blend(special, magnitude.compare(VectorOperators.GE, 0x7C00))
                        .or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                        .reinterpretAsFloats().intoArray(dst, dstOff + i);
            }
            for (; i < n; i++) {
                dst[dstOff + i] = Numerics.fp16ToFp32(LittleEndian.getShort(src, srcOff + 2L * i));
            }
        }
    },
    BF16(GgmlType.BF16) {
        @Override
        void encode(float[] src, int srcOff, byte[] dst, int dstOff, int n) {
            int i = 0;
            // Numerics.fp32ToBf16 in each lane, integer operations only: round to nearest even on the top 16 bits,
            // or for a NaN its top 16 bits with the quiet bit set.
            for (; i <= n - Lanes.FLOATS.length(); i += Lanes.FLOATS.length()) {
                IntVector u = FloatVector.fromArray(Lanes.FLOATS, src, srcOff + i).reinterpretAsInts();
                IntVector top = u.lanewise(VectorOperators.LSHR, 16);
                IntVector rounded = u.add(top.and(1).add(0x7FFF)).lanewise(VectorOperators.LSHR, 16);
                VectorMask<Integer> nan = u.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
                // reinterpretAsBytes orders each lane's bytes little-endian, as the file wants.
                rounded.blend(top.or(0x40), nan).convertShape(VectorOperators.I2S, Lanes.SHORTS, 0)
                        .reinterpretAsBytes().intoArray(dst, dstOff + 2 * i);
            }
            for (; i < n; i++) {
                LittleEndian.putShort(dst, dstOff + 2 * i, Numerics.fp32ToBf16(src[srcOff + i]));
            }
        }

        @Override
        void decode(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
            int i = 0;
            // Numerics.bf16ToFp32 in each lane: the 16 bits become the top half of the float's bits.
            for (; i <= n - Lanes.FLOATS.length(); i += Lanes.FLOATS.length()) {
                Lanes.halves(src, srcOff + 2L * i).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                        .intoArray(dst, dstOff + i);
            }
            for (; i < n; i++) {
                dst[dstOff + i] = Numerics.bf16ToFp32(LittleEndian.getShort(src, srcOff + 2L * i));
            }
        }
    };

    /** Vectors of 16-bit floats (F16 and BF16) read from a segment and widened to int lanes, one float vector's worth. */
    private static final class Lanes {
        static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
        static final VectorSpecies<Short> SHORTS =
                VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
        static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);

        /** The 16-bit values at {@code off}, zero-extended. */
        static IntVector halves(MemorySegment src, long off) {
            return (IntVector) ShortVector.fromMemorySegment(SHORTS, src, off, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, INTS, 0);
        }
    }

    private final GgmlType type;

    FloatFormats(GgmlType type) {
        this.type = type;
    }

    abstract void encode(float[] src, int srcOff, byte[] dst, int dstOff, int n);

    /** The {@code n} values at byte {@code srcOff} of {@code src}, read where they are. */
    abstract void decode(MemorySegment src, long srcOff, float[] dst, int dstOff, int n);

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
    public void dequantize(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        QuantArgs.checkDequantize(type, src, srcOff, dst, dstOff, n);
        decode(src, srcOff, dst, dstOff, n);
    }
}
