package io.quanthub.gguf.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A cursor over an untrusted memory-mapped file. Every read first checks that the bytes it needs are there, so a
 * truncated or lying file gives a {@link GgufFormatException} naming the offset instead of an out-of-bounds error.
 */
final class SegmentReader {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private long position;

    SegmentReader(MemorySegment segment) {
        this.segment = segment;
    }

    long position() {
        return position;
    }

    long remaining() {
        return segment.byteSize() - position;
    }

    /** Fails unless {@code n} more bytes are there; {@code what} names the field being read. */
    void require(long n, String what) throws GgufFormatException {
        if (n > remaining()) {
            throw new GgufFormatException("truncated file: " + what + " needs " + n + " bytes at offset " + position
                    + " but only " + remaining() + " remain");
        }
    }

    byte u8(String what) throws GgufFormatException {
        require(1, what);
        return segment.get(ValueLayout.JAVA_BYTE, position++);
    }

    short u16(String what) throws GgufFormatException {
        require(2, what);
        short v = segment.get(SHORT, position);
        position += 2;
        return v;
    }

    int u32(String what) throws GgufFormatException {
        require(4, what);
        int v = segment.get(INT, position);
        position += 4;
        return v;
    }

    long u64(String what) throws GgufFormatException {
        require(8, what);
        long v = segment.get(LONG, position);
        position += 8;
        return v;
    }

    /**
     * A string: u64 length + UTF-8 bytes. The length is checked against {@code maxBytes} and the bytes remaining before
     * anything is allocated.
     */
    String string(String what, long maxBytes) throws GgufFormatException {
        long start = position;
        long len = u64(what + " length");
        if (len < 0 || len > maxBytes) {
            throw new GgufFormatException(what + " at offset " + start + " has length " + Long.toUnsignedString(len)
                    + ", more than the limit of " + maxBytes + " bytes");
        }
        require(len, what);
        byte[] bytes = segment.asSlice(position, len).toArray(ValueLayout.JAVA_BYTE);
        position += len;
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new GgufFormatException(what + " at offset " + start + " is not valid UTF-8");
        }
    }
}
