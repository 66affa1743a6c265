package io.quanthub.gguf.format;

import java.util.Optional;

/** The KV value types of GGUF with their on-disk codes (gguf.h {@code enum gguf_type}). */
public enum GgufValueType {
    UINT8(0, 1, "u8"),
    INT8(1, 1, "i8"),
    UINT16(2, 2, "u16"),
    INT16(3, 2, "i16"),
    UINT32(4, 4, "u32"),
    INT32(5, 4, "i32"),
    FLOAT32(6, 4, "f32"),
    BOOL(7, 1, "bool"),
    /** u64 length + bytes. */
    STRING(8, -1, "string"),
    /** i32 element type + u64 count + elements. */
    ARRAY(9, -1, "array"),
    UINT64(10, 8, "u64"),
    INT64(11, 8, "i64"),
    FLOAT64(12, 8, "f64");

    /** The code stored in the file. */
    public final int code;
    /** Bytes of one value, or -1 for the variable-size STRING and ARRAY. */
    public final int fixedSize;
    /** Short name used when printing (gguf-py style). */
    public final String shortName;

    private static final GgufValueType[] BY_CODE = values();

    GgufValueType(int code, int fixedSize, String shortName) {
        this.code = code;
        this.fixedSize = fixedSize;
        this.shortName = shortName;
    }

    /** The type with this code, or empty for codes outside 0..12. */
    public static Optional<GgufValueType> byCode(int code) {
        // The constants are declared in code order, so the code is the ordinal.
        return code >= 0 && code < BY_CODE.length ? Optional.of(BY_CODE[code]) : Optional.empty();
    }

    /**
     * The fewest bytes one element of this type can occupy in a file: its fixed size, or 8 for a string (its length
     * prefix). Used to reject absurd array lengths before allocating anything.
     */
    public int minEncodedSize() {
        return fixedSize > 0 ? fixedSize : 8;
    }
}
