package io.quanthub.gguf;

import java.util.ArrayList;
import java.util.List;

/**
 * The fields of one ggml block in storage order, as ggml-common.h declares its {@code block_*} structs (all of them
 * packed, no padding). This is the one place a block's layout is stated: {@link GgmlType#typeSize} is its size, and
 * the quant kernels take their field offsets from {@link #offset}, so the three can never disagree.
 *
 * @param fields the fields in storage order; each starts where the one before ends, the first at 0
 */
public record BlockLayout(List<Field> fields) {
    /** Bytes of the packed 6-bit scales and mins of Q4_K and Q5_K (ggml-common.h). */
    public static final int K_SCALE_SIZE = 12;

    /** The element types that block fields are made of; every multi-byte one is little-endian in a file. */
    public enum Scalar {
        /** ggml_half: IEEE binary16. */
        F16(2),
        BF16(2),
        F32(4),
        F64(8),
        U8(1),
        I8(1),
        U16(2),
        I16(2),
        I32(4),
        I64(8);

        public final int bytes;

        Scalar(int bytes) {
            this.bytes = bytes;
        }
    }

    /** One field: {@code count} elements of {@code scalar} ({@code uint8_t qs[16]} is U8 × 16) at byte {@code offset}. */
    public record Field(String name, Scalar scalar, int count, int offset) {
        public int bytes() {
            return scalar.bytes * count;
        }

        /** The byte just past this field. */
        public int end() {
            return offset + bytes();
        }
    }

    /** A field as ggml-common.h declares it, before it has an offset. */
    public record Declaration(String name, Scalar scalar, int count) {
    }

    public BlockLayout {
        fields = List.copyOf(fields);
        if (fields.isEmpty()) throw new IllegalArgumentException("a block layout needs at least one field");
        int end = 0;
        for (Field f : fields) {
            if (f.offset() != end || f.count() < 1) {
                throw new IllegalArgumentException("field " + f.name() + " at offset " + f.offset() + " does not follow"
                        + " the fields before it, which end at " + end);
            }
            end = f.end();
        }
        if (fields.stream().map(Field::name).distinct().count() != fields.size()) {
            throw new IllegalArgumentException("field names repeat in " + fields);
        }
    }

    /** The layout of these fields packed one after the other, as a C compiler lays out ggml's packed structs. */
    public static BlockLayout of(Declaration... declarations) {
        List<Field> fields = new ArrayList<>();
        int offset = 0;
        for (Declaration d : declarations) {
            Field f = new Field(d.name(), d.scalar(), d.count(), offset);
            fields.add(f);
            offset = f.end();
        }
        return new BlockLayout(fields);
    }

    /** {@code ggml_half name}. */
    public static Declaration f16(String name) {
        return new Declaration(name, Scalar.F16, 1);
    }

    /** {@code float name}. */
    public static Declaration f32(String name) {
        return new Declaration(name, Scalar.F32, 1);
    }

    /** {@code int16_t name[count]}. */
    public static Declaration i16(String name, int count) {
        return new Declaration(name, Scalar.I16, count);
    }

    /** {@code uint8_t name[count]}. */
    public static Declaration u8(String name, int count) {
        return new Declaration(name, Scalar.U8, count);
    }

    /** {@code int8_t name[count]}. */
    public static Declaration i8(String name, int count) {
        return new Declaration(name, Scalar.I8, count);
    }

    /** {@code uint16_t name[count]}. */
    public static Declaration u16(String name, int count) {
        return new Declaration(name, Scalar.U16, count);
    }

    /** A single element of a plain (non-block) type such as F32 or I64. */
    public static Declaration value(Scalar scalar) {
        return new Declaration("value", scalar, 1);
    }

    /** Bytes per block: ggml's {@code ggml_type_size}. */
    public int bytes() {
        return fields.getLast().end();
    }

    /** The field with this name; fails naming the field when the block has none (a kernel reading a wrong layout). */
    public Field field(String name) {
        for (Field f : fields) {
            if (f.name().equals(name)) return f;
        }
        throw new IllegalArgumentException("no field '" + name + "' in block " + fields);
    }

    /** The byte offset of a field within the block. */
    public int offset(String name) {
        return field(name).offset();
    }
}
