package io.quanthub.tornado;

import io.quanthub.gguf.BlockLayout;
import io.quanthub.gguf.GgmlType;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The values of ggml's 32-value block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL), read inside one matmul kernel for
 * all of them ({@link TiledMatmulKernels#legacy}): the block layout comes in as a small table ({@link #layout}), so the
 * kernel reads each type's blocks from the bytes as the GGUF file stores them. Value j of a block is
 * {@code d * level + m}: the level is a signed byte (8 bits), or a nibble (byte j % 16, low half for j < 16) with bit j
 * of {@code qh} on top for 5 bits, minus the type's zero point, or looked up in the IQ4_NL codebook; {@code m} is 0
 * for types without a minimum.
 */
final class LegacyBlocks {
    static final int QK = 32;
    /** Positions in the layout table. */
    static final int BYTES = 0;
    static final int D = 1;
    static final int M = 2;
    static final int QH = 3;
    static final int QS = 4;
    static final int BITS = 5;
    static final int ZERO = 6;
    static final int CODEBOOK = 7;
    /** {@code kvalues_iq4nl}, the IQ4_NL and IQ4_XS codebook. */
    static final float[] IQ4_CODEBOOK = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private LegacyBlocks() {
    }

    static boolean supports(GgmlType type) {
        return switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL -> true;
            default -> false;
        };
    }

    /** The table {@link #value} reads a type's blocks with: field offsets (-1 for absent), bits, zero point. */
    static IntArray layout(GgmlType type) {
        if (!supports(type)) throw new IllegalArgumentException(type + " is not a 32-value block type");
        var l = type.layout;
        int bits = switch (type) {
            case Q8_0 -> 8;
            case Q5_0, Q5_1 -> 5;
            default -> 4;
        };
        int zero = switch (type) {
            case Q4_0 -> 8;
            case Q5_0 -> 16;
            default -> 0;
        };
        return IntArray.fromElements(type.typeSize, l.offset("d"), offsetOrAbsent(l, "m"), offsetOrAbsent(l, "qh"),
                l.offset("qs"), bits, zero, type == GgmlType.IQ4_NL ? 1 : 0);
    }

    private static int offsetOrAbsent(BlockLayout layout, String field) {
        return layout.fields().stream().filter(f -> f.name().equals(field)).mapToInt(BlockLayout.Field::offset)
                .findFirst().orElse(-1);
    }

    static FloatArray codebook() {
        return FloatArray.fromArray(IQ4_CODEBOOK);
    }

    /** Value j of the block at byte {@code bo}. */
    static float value(ByteArray w, int bo, int j, IntArray layout, FloatArray fp16, FloatArray codebook) {
        float d = Blocks.fp16(w, bo + layout.get(D), fp16);
        int mOff = layout.get(M);
        float m = 0f;
        if (mOff >= 0) m = Blocks.fp16(w, bo + mOff, fp16);
        int qs = bo + layout.get(QS);
        int bits = layout.get(BITS);
        int level;
        if (bits == 8) {
            level = w.get(qs + j);
        } else {
            int packed = Blocks.u8(w, qs + (j & 15));
            level = (packed >> (4 * (j >> 4))) & 15;
            if (bits == 5) level = level | (((Blocks.u32(w, bo + layout.get(QH)) >>> j) & 1) << 4);
        }
        // The zero point is subtracted in float: TornadoVM's OpenCL code generator types byte & 0xFF as unsigned, so
        // an int subtraction below zero would wrap.
        float v;
        if (layout.get(CODEBOOK) == 1) {
            v = d * codebook.get(level);
        } else {
            v = ((float) level - layout.get(ZERO)) * d + m;
        }
        return v;
    }
}
