package io.quanthub.gguf.format;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One GGUF metadata value: a record per {@link GgufValueType}. Unsigned types hold their value in a wider Java type
 * ({@code U8}/{@code U16} in an int, {@code U32} in a long); {@code U64} holds the raw 64 bits, so values above
 * {@link Long#MAX_VALUE} read as negative longs ({@link U64#toString()} prints them unsigned).
 */
public sealed interface GgufValue {

    GgufValueType type();

    /** The value of any integer type as a long (U64 as its raw bits); fails for other types. */
    default long asLong() {
        return switch (this) {
            case U8 v -> v.value();
            case I8 v -> v.value();
            case U16 v -> v.value();
            case I16 v -> v.value();
            case U32 v -> v.value();
            case I32 v -> v.value();
            case U64 v -> v.value();
            case I64 v -> v.value();
            default -> throw new IllegalStateException("a " + type().shortName + " value is not an integer");
        };
    }

    /** The value of a string; fails for other types. */
    default String asString() {
        if (this instanceof Str s) return s.value();
        throw new IllegalStateException("a " + type().shortName + " value is not a string");
    }

    /** The value as text: numbers in decimal (unsigned ones unsigned), strings as is, arrays as [a, b, ...]. */
    String toString();

    /**
     * The value as a plain Java value for a JSON writer: a Long, Double, Float, Boolean or String; a BigInteger for
     * a U64 above {@link Long#MAX_VALUE}; a List for an array, or for an array of more than {@code maxArrayElements}
     * elements the summary {@code {"elementType": ..., "length": ...}} (a tokenizer's vocabulary is not metadata
     * anyone reads).
     */
    default Object toJsonValue(int maxArrayElements) {
        return switch (this) {
            case U64 u when u.value() < 0 -> new BigInteger(Long.toUnsignedString(u.value()));
            case F32 f -> f.value();
            case F64 f -> f.value();
            case Bool b -> b.value();
            case Str s -> s.value();
            case Arr a when a.values().size() > maxArrayElements ->
                    Map.of("elementType", a.elementType().shortName, "length", a.values().size());
            case Arr a -> a.values().stream().map(v -> v.toJsonValue(maxArrayElements)).toList();
            default -> asLong();
        };
    }

    record U8(int value) implements GgufValue {
        public U8 {
            if (value < 0 || value > 0xFF) throw new IllegalArgumentException("u8 out of range: " + value);
        }

        public GgufValueType type() {
            return GgufValueType.UINT8;
        }

        public String toString() {
            return Integer.toString(value);
        }
    }

    record I8(byte value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.INT8;
        }

        public String toString() {
            return Byte.toString(value);
        }
    }

    record U16(int value) implements GgufValue {
        public U16 {
            if (value < 0 || value > 0xFFFF) throw new IllegalArgumentException("u16 out of range: " + value);
        }

        public GgufValueType type() {
            return GgufValueType.UINT16;
        }

        public String toString() {
            return Integer.toString(value);
        }
    }

    record I16(short value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.INT16;
        }

        public String toString() {
            return Short.toString(value);
        }
    }

    record U32(long value) implements GgufValue {
        public U32 {
            if (value < 0 || value > 0xFFFF_FFFFL) throw new IllegalArgumentException("u32 out of range: " + value);
        }

        public GgufValueType type() {
            return GgufValueType.UINT32;
        }

        public String toString() {
            return Long.toString(value);
        }
    }

    record I32(int value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.INT32;
        }

        public String toString() {
            return Integer.toString(value);
        }
    }

    record F32(float value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.FLOAT32;
        }

        public String toString() {
            return Float.toString(value);
        }
    }

    record Bool(boolean value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.BOOL;
        }

        public String toString() {
            return Boolean.toString(value);
        }
    }

    record Str(String value) implements GgufValue {
        public Str {
            Objects.requireNonNull(value, "value");
        }

        public GgufValueType type() {
            return GgufValueType.STRING;
        }

        public String toString() {
            return value;
        }
    }

    /** Unsigned 64-bit; {@code value} holds the raw bits. */
    record U64(long value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.UINT64;
        }

        public String toString() {
            return Long.toUnsignedString(value);
        }
    }

    record I64(long value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.INT64;
        }

        public String toString() {
            return Long.toString(value);
        }
    }

    record F64(double value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.FLOAT64;
        }

        public String toString() {
            return Double.toString(value);
        }
    }

    /**
     * An array of one element type. Nested arrays are not allowed (ggml rejects them), so {@code elementType} is never
     * ARRAY, and every element has that type.
     */
    record Arr(GgufValueType elementType, List<GgufValue> values) implements GgufValue {
        public Arr {
            Objects.requireNonNull(elementType, "elementType");
            if (elementType == GgufValueType.ARRAY) {
                throw new IllegalArgumentException("nested arrays are not supported by GGUF readers");
            }
            values = List.copyOf(values);
            for (GgufValue v : values) {
                if (v.type() != elementType) {
                    throw new IllegalArgumentException(
                            "array of " + elementType.shortName + " holds a " + v.type().shortName + " element");
                }
            }
        }

        public GgufValueType type() {
            return GgufValueType.ARRAY;
        }

        public String toString() {
            return values.toString();
        }
    }

    // Factories for the common cases.

    static Str of(String value) {
        return new Str(value);
    }

    static U32 u32(long value) {
        return new U32(value);
    }

    static I32 i32(int value) {
        return new I32(value);
    }

    static Arr ofStrings(List<String> values) {
        return new Arr(GgufValueType.STRING, values.stream().<GgufValue>map(Str::new).toList());
    }

    static Arr ofInts(int... values) {
        return new Arr(GgufValueType.INT32, java.util.Arrays.stream(values).<GgufValue>mapToObj(I32::new).toList());
    }
}
