package io.quanthub.gguf.safetensors;

import io.quanthub.gguf.ByteRanges;
import io.quanthub.gguf.json.Json;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The header of a safetensors file ({@code u64 N}, then N bytes of JSON), validated against the file size: every
 * tensor has a known dtype, a shape whose size matches its byte range, and a byte range inside the file that overlaps
 * no other tensor. {@link SafetensorsFile} parses it from a mapped file; {@link #read} from a file read by range (a
 * model in object storage), fetching only the header's bytes.
 *
 * @param metadata the {@code __metadata__} strings, in header order (empty when absent)
 * @param tensors  the tensors in data order
 */
public record SafetensorsHeader(SequencedMap<String, String> metadata, List<SafetensorsTensor> tensors) {
    /** The safetensors library refuses headers above 100 MB; so do we. */
    static final long MAX_HEADER_BYTES = 100_000_000;
    static final String METADATA_KEY = "__metadata__";

    public SafetensorsHeader {
        metadata = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
    }

    /**
     * Reads the header of the file {@code name} ({@code fileSize} bytes) with two range reads: the length, then the
     * JSON.
     *
     * @throws SafetensorsFormatException when the header is malformed, with a one-line reason naming {@code name}
     * @throws IOException                when {@code source} fails
     */
    public static SafetensorsHeader read(String name, ByteRanges source, long fileSize) throws IOException {
        String where = name + ": ";
        if (fileSize < 8) throw tooShort(where, fileSize);
        byte[] length = source.read(0, 8);
        long headerLength = headerLength(where, MemorySegment.ofArray(length), fileSize);
        byte[] prefix = Arrays.copyOf(length, (int) (8 + headerLength)); // <= 8 + MAX_HEADER_BYTES
        System.arraycopy(source.read(8, (int) headerLength), 0, prefix, 8, (int) headerLength);
        return parse(name, MemorySegment.ofArray(prefix), fileSize);
    }

    /** The declared JSON length, checked against the limit and the file size. */
    private static long headerLength(String where, MemorySegment prefix, long fileSize)
            throws SafetensorsFormatException {
        long headerLength = prefix.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8) {
            throw new SafetensorsFormatException(where + "header length " + Long.toUnsignedString(headerLength)
                    + " is invalid (file size " + fileSize + ", limit " + MAX_HEADER_BYTES + ")");
        }
        return headerLength;
    }

    private static SafetensorsFormatException tooShort(String where, long fileSize) {
        return new SafetensorsFormatException(where + "truncated safetensors file: " + fileSize
                + " bytes, too short for the 8-byte header length");
    }

    /**
     * Parses the header from the first bytes of the file {@code name} of {@code fileSize} bytes; {@code prefix} must
     * hold at least the length and the JSON (the whole file is fine).
     */
    static SafetensorsHeader parse(String fileName, MemorySegment prefix, long fileSize)
            throws SafetensorsFormatException {
        String where = fileName + ": ";
        if (fileSize < 8) throw tooShort(where, fileSize);
        long headerLength = headerLength(where, prefix, fileSize);
        if (prefix.byteSize() < 8 + headerLength) {
            throw new IllegalArgumentException(where + "the first " + (8 + headerLength) + " bytes are needed, "
                    + prefix.byteSize() + " were read");
        }
        byte[] headerBytes = prefix.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
        String headerText;
        try {
            headerText = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(where + "header is not valid UTF-8");
        }
        Map<String, Object> header;
        try {
            header = Json.parseObject(headerText);
        } catch (Json.JsonException e) {
            throw new SafetensorsFormatException(where + "header: " + e.getMessage());
        }

        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;
        SequencedMap<String, String> metadata = new LinkedHashMap<>();
        List<SafetensorsTensor> tensors = new ArrayList<>();
        for (Map.Entry<String, Object> member : header.entrySet()) {
            String name = member.getKey();
            if (name.equals(METADATA_KEY)) {
                readMetadata(where, member.getValue(), metadata);
                continue;
            }
            tensors.add(readTensor(where, name, member.getValue(), dataStart, dataSize));
        }

        // File order is data order; zero-size tensors keep their header order among equal offsets.
        tensors.sort(Comparator.comparingLong(SafetensorsTensor::fileOffset));
        for (int i = 1; i < tensors.size(); i++) {
            SafetensorsTensor prev = tensors.get(i - 1);
            SafetensorsTensor cur = tensors.get(i);
            if (prev.fileOffset() + prev.byteSize() > cur.fileOffset()) {
                throw new SafetensorsFormatException(where + "tensors '" + prev.name() + "' and '" + cur.name()
                        + "' overlap in the data buffer");
            }
        }
        return new SafetensorsHeader(metadata, tensors);
    }

    private static void readMetadata(String where, Object value, Map<String, String> metadata)
            throws SafetensorsFormatException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsFormatException(where + METADATA_KEY + " is " + Json.kind(value)
                    + ", expected an object of strings");
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafetensorsFormatException(where + METADATA_KEY + " value of '" + e.getKey() + "' is "
                        + Json.kind(e.getValue()) + ", expected a string");
            }
            metadata.put((String) e.getKey(), s);
        }
    }

    private static SafetensorsTensor readTensor(String where, String name, Object value, long dataStart,
                                                long dataSize) throws SafetensorsFormatException {
        String tensor = where + "tensor '" + name + "' ";
        if (name.isEmpty()) throw new SafetensorsFormatException(where + "empty tensor name in header");
        if (!(value instanceof Map<?, ?> entry)) {
            throw new SafetensorsFormatException(tensor + "is " + Json.kind(value) + ", expected an object");
        }
        if (!(entry.get("dtype") instanceof String dtypeName)) {
            throw new SafetensorsFormatException(tensor + "has no dtype string");
        }
        Dtype dtype = Dtype.byName(dtypeName).orElseThrow(() -> new SafetensorsFormatException(
                tensor + "has unknown dtype '" + dtypeName + "'"));
        long[] shape = longs(tensor + "shape", entry.get("shape"), -1);
        long[] offsets = longs(tensor + "data_offsets", entry.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataSize) {
            throw new SafetensorsFormatException(tensor + "has data_offsets [" + begin + ", " + end
                    + "] outside the data buffer of " + dataSize + " bytes");
        }
        long bytes = dtype.bytes;
        for (long d : shape) {
            if (d != 0 && bytes > Long.MAX_VALUE / d) {
                throw new SafetensorsFormatException(tensor + "shape " + java.util.Arrays.toString(shape)
                        + " overflows 64 bits");
            }
            bytes *= d;
        }
        if (bytes != end - begin) {
            throw new SafetensorsFormatException(tensor + "has shape " + java.util.Arrays.toString(shape) + " of "
                    + dtype + " (" + bytes + " bytes) but data_offsets span " + (end - begin) + " bytes");
        }
        return new SafetensorsTensor(name, dtype, shape, dataStart + begin, end - begin);
    }

    /** A JSON array of non-negative integers, of the given length (or any length when {@code length < 0}). */
    private static long[] longs(String what, Object value, int length) throws SafetensorsFormatException {
        if (!(value instanceof List<?> list)) {
            throw new SafetensorsFormatException(what + " is " + Json.kind(value) + ", expected an array");
        }
        if (length >= 0 && list.size() != length) {
            throw new SafetensorsFormatException(what + " has " + list.size() + " elements, expected " + length);
        }
        long[] result = new long[list.size()];
        for (int i = 0; i < result.length; i++) {
            if (!(list.get(i) instanceof Long v) || v < 0) {
                throw new SafetensorsFormatException(what + " element " + i + " is not a non-negative integer: "
                        + list.get(i));
            }
            result[i] = v;
        }
        return result;
    }
}
