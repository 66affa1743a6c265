package io.quanthub.gguf;

import io.quanthub.gguf.BlockLayout.Scalar;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.IntFunction;

import static io.quanthub.gguf.BlockLayout.K_SCALE_SIZE;
import static io.quanthub.gguf.BlockLayout.f16;
import static io.quanthub.gguf.BlockLayout.f32;
import static io.quanthub.gguf.BlockLayout.i16;
import static io.quanthub.gguf.BlockLayout.i8;
import static io.quanthub.gguf.BlockLayout.u16;
import static io.quanthub.gguf.BlockLayout.u8;
import static io.quanthub.gguf.BlockLayout.value;

/**
 * ggml tensor types with their on-disk ids, block size and block layout (ggml.c type_traits, ggml-common.h). The
 * byte size of a block is derived from its layout. Ids are those stored in GGUF tensor infos; removed ids (4, 5,
 * 31-33, 36-38) are absent.
 */
public enum GgmlType {
    // Each block as ggml-common.h declares it, in terms of the block size qk (QK4_0, QK_K, ...).
    F32(0, "f32", 1, qk -> BlockLayout.of(value(Scalar.F32))),
    F16(1, "f16", 1, qk -> BlockLayout.of(value(Scalar.F16))),
    Q4_0(2, "q4_0", 32, qk -> BlockLayout.of(f16("d"), u8("qs", qk / 2))),
    Q4_1(3, "q4_1", 32, qk -> BlockLayout.of(f16("d"), f16("m"), u8("qs", qk / 2))),
    Q5_0(6, "q5_0", 32, qk -> BlockLayout.of(f16("d"), u8("qh", 4), u8("qs", qk / 2))),
    Q5_1(7, "q5_1", 32, qk -> BlockLayout.of(f16("d"), f16("m"), u8("qh", 4), u8("qs", qk / 2))),
    Q8_0(8, "q8_0", 32, qk -> BlockLayout.of(f16("d"), i8("qs", qk))),
    Q8_1(9, "q8_1", 32, qk -> BlockLayout.of(f16("d"), f16("s"), i8("qs", qk))),
    Q2_K(10, "q2_K", 256, qk -> BlockLayout.of(u8("scales", qk / 16), u8("qs", qk / 4), f16("d"), f16("dmin"))),
    Q3_K(11, "q3_K", 256, qk -> BlockLayout.of(u8("hmask", qk / 8), u8("qs", qk / 4), u8("scales", 12), f16("d"))),
    Q4_K(12, "q4_K", 256, qk -> BlockLayout.of(f16("d"), f16("dmin"), u8("scales", K_SCALE_SIZE), u8("qs", qk / 2))),
    Q5_K(13, "q5_K", 256, qk -> BlockLayout.of(f16("d"), f16("dmin"), u8("scales", K_SCALE_SIZE), u8("qh", qk / 8),
            u8("qs", qk / 2))),
    Q6_K(14, "q6_K", 256, qk -> BlockLayout.of(u8("ql", qk / 2), u8("qh", qk / 4), i8("scales", qk / 16), f16("d"))),
    Q8_K(15, "q8_K", 256, qk -> BlockLayout.of(f32("d"), i8("qs", qk), i16("bsums", qk / 16))),
    IQ2_XXS(16, "iq2_xxs", 256, qk -> BlockLayout.of(f16("d"), u16("qs", qk / 8))),
    IQ2_XS(17, "iq2_xs", 256, qk -> BlockLayout.of(f16("d"), u16("qs", qk / 8), u8("scales", qk / 32))),
    IQ3_XXS(18, "iq3_xxs", 256, qk -> BlockLayout.of(f16("d"), u8("qs", 3 * qk / 8))),
    IQ1_S(19, "iq1_s", 256, qk -> BlockLayout.of(f16("d"), u8("qs", qk / 8), u16("qh", qk / 32))),
    IQ4_NL(20, "iq4_nl", 32, qk -> BlockLayout.of(f16("d"), u8("qs", qk / 2))),
    IQ3_S(21, "iq3_s", 256, qk -> BlockLayout.of(f16("d"), u8("qs", qk / 4), u8("qh", qk / 32), u8("signs", qk / 8),
            u8("scales", qk / 64))),
    IQ2_S(22, "iq2_s", 256, qk -> BlockLayout.of(f16("d"), u8("qs", qk / 4), u8("qh", qk / 32),
            u8("scales", qk / 32))),
    IQ4_XS(23, "iq4_xs", 256, qk -> BlockLayout.of(f16("d"), u16("scales_h", 1), u8("scales_l", qk / 64),
            u8("qs", qk / 2))),
    I8(24, "i8", 1, qk -> BlockLayout.of(value(Scalar.I8))),
    I16(25, "i16", 1, qk -> BlockLayout.of(value(Scalar.I16))),
    I32(26, "i32", 1, qk -> BlockLayout.of(value(Scalar.I32))),
    I64(27, "i64", 1, qk -> BlockLayout.of(value(Scalar.I64))),
    F64(28, "f64", 1, qk -> BlockLayout.of(value(Scalar.F64))),
    // The fp16 super-scale of IQ1_M is spread over the top nibbles of its scales: the block has no d field.
    IQ1_M(29, "iq1_m", 256, qk -> BlockLayout.of(u8("qs", qk / 8), u8("qh", qk / 16), u8("scales", qk / 32))),
    BF16(30, "bf16", 1, qk -> BlockLayout.of(value(Scalar.BF16))),
    TQ1_0(34, "tq1_0", 256, qk -> BlockLayout.of(u8("qs", (qk - 4 * qk / 64) / 5), u8("qh", qk / 64), f16("d"))),
    TQ2_0(35, "tq2_0", 256, qk -> BlockLayout.of(u8("qs", qk / 4), f16("d"))),
    // e is an E8M0 exponent byte; NVFP4's d holds one UE4M3 scale byte per 16 values.
    MXFP4(39, "mxfp4", 32, qk -> BlockLayout.of(u8("e", 1), u8("qs", qk / 2))),
    NVFP4(40, "nvfp4", 64, qk -> BlockLayout.of(u8("d", qk / 16), u8("qs", qk / 2))),
    Q1_0(41, "q1_0", 128, qk -> BlockLayout.of(f16("d"), u8("qs", qk / 8))),
    Q2_0(42, "q2_0", 64, qk -> BlockLayout.of(f16("d"), u8("qs", qk / 4)));

    /** The id stored in GGUF files. */
    public final int id;
    /** ggml's type_name, e.g. "q4_K". */
    public final String ggmlName;
    /** Elements per block. */
    public final int blockSize;
    /** The fields of one block: the one statement of its layout. */
    public final BlockLayout layout;
    /** Bytes per block ({@code ggml_type_size}), the size of {@link #layout}. */
    public final int typeSize;

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    GgmlType(int id, String ggmlName, int blockSize, IntFunction<BlockLayout> layoutOfBlockSize) {
        this.id = id;
        this.ggmlName = ggmlName;
        this.blockSize = blockSize;
        this.layout = layoutOfBlockSize.apply(blockSize);
        this.typeSize = layout.bytes();
    }

    /** The type with this GGUF id, or empty for unknown or removed ids. */
    public static Optional<GgmlType> byId(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[id]) : Optional.empty();
    }

    /** Parses a type name such as "Q4_K" or "q4_k" (case-insensitive). */
    public static Optional<GgmlType> byName(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(t -> t.name().equals(upper)).findFirst();
    }

    /** True for block-quantized types (everything but plain float and integer scalars). */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** Bytes of one row of {@code rowLength} elements; the length must be a multiple of the block size. */
    public long rowBytes(long rowLength) {
        if (rowLength % blockSize != 0) {
            throw new IllegalArgumentException(
                    "row length " + rowLength + " is not a multiple of " + this + "'s block size " + blockSize);
        }
        return rowLength / blockSize * typeSize;
    }

    /** Bits per weight of this type alone (e.g. 4.5 for Q4_0). */
    public double bitsPerWeight() {
        return typeSize * 8.0 / blockSize;
    }
}
