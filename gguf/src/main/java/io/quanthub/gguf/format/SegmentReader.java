package io.quanthub.gguf.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A cursor over an untrusted memory-mapped file, or over the first bytes of one (a header fetched by range). Every
 * read first checks that the bytes it needs are in the file, so a truncated or lying file gives a
 * {@link GgufFormatException} naming the offset instead of an out-of-bounds error; a read that is inside the file but
 * past the bytes at hand gives {@link MoreBytesNeeded}.
 */
final class SegmentReader {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The bytes at hand are the file's first {@code segment.byteSize()} bytes, and the header continues past them.
     * Not a format error: the caller fetches at least {@link #end} bytes and parses again.
     */
    static final class MoreBytesNeeded extends GgufFormatException {
        /** How many of the file's first bytes the read needs. */
        final long end;

        MoreBytesNeeded(long end, String what) {
            super("header continues past the bytes read: " + what + " needs the first " + end + " bytes");
            this.end = end;
        }
    }

    private final MemorySegment segment;
    private final long fileSize;
    private long position;

    /** A cursor over the first {@code prefix.byteSize()} bytes (possibly all) of a file of {@code fileSize} bytes. */
    SegmentReader(MemorySegment prefix, long fileSize) {
        if (prefix.byteSize() > fileSize) {
            throw new IllegalArgumentException(prefix.byteSize() + " bytes read from a file of " + fileSize);
        }
        this.segment = prefix;
        this.fileSize = fileSize;
    }

    long position() {
        return position;
    }

    /** Bytes left in the file (not only in the bytes at hand). */
    long remaining() {
        return fileSize - position;
    }

    /**
     * Fails unless {@code n} more bytes are in the file (a format error) and at hand ({@link MoreBytesNeeded});
     * {@code what} names the field being read.
     */
    void require(long n, String what) throws GgufFormatException {
        if (n > remaining()) {
            throw new GgufFormatException("truncated file: " + what + " needs " + n + " bytes at offset " + position
                    + " but only " + remaining() + " remain");
        }
        if (n > segment.byteSize() - position) throw new MoreBytesNeeded(position + n, what);
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
