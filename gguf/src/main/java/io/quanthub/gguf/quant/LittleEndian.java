package io.quanthub.gguf.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Little-endian access to byte arrays and memory segments (any alignment), the byte order of every ggml block field.
 */
public final class LittleEndian {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    private static final ValueLayout.OfShort SEGMENT_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt SEGMENT_INT =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong SEGMENT_LONG =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {
    }

    public static short getShort(MemorySegment s, long off) {
        return s.get(SEGMENT_SHORT, off);
    }

    public static int getInt(MemorySegment s, long off) {
        return s.get(SEGMENT_INT, off);
    }

    public static long getLong(MemorySegment s, long off) {
        return s.get(SEGMENT_LONG, off);
    }

    /** An fp16 field decoded to float. */
    public static float getFp16(MemorySegment s, long off) {
        return Numerics.fp16ToFp32(getShort(s, off));
    }

    public static short getShort(byte[] b, int off) {
        return (short) SHORT.get(b, off);
    }

    public static void putShort(byte[] b, int off, short v) {
        SHORT.set(b, off, v);
    }

    public static int getInt(byte[] b, int off) {
        return (int) INT.get(b, off);
    }

    public static void putInt(byte[] b, int off, int v) {
        INT.set(b, off, v);
    }

    public static long getLong(byte[] b, int off) {
        return (long) LONG.get(b, off);
    }

    public static float getFloat(byte[] b, int off) {
        return (float) FLOAT.get(b, off);
    }

    public static void putFloat(byte[] b, int off, float v) {
        FLOAT.set(b, off, v);
    }

    /** An fp16 field decoded to float. */
    public static float getFp16(byte[] b, int off) {
        return Numerics.fp16ToFp32(getShort(b, off));
    }

    /** Stores a float as an fp16 field (ggml rounding). */
    public static void putFp16(byte[] b, int off, float v) {
        putShort(b, off, Numerics.fp32ToFp16(v));
    }
}
