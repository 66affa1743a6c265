package io.quanthub.gguf.safetensors;

import io.quanthub.gguf.json.Json;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * One safetensors file, memory-mapped read-only and validated on open: {@code u64 N}, N bytes of JSON header, then
 * the data buffer. Every tensor must have a known dtype, a shape whose size matches its byte range, and a byte range
 * inside the file that overlaps no other tensor. The mapping is shared: data may be read from several threads.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The safetensors library refuses headers above 100 MB; so do we. */
    static final long MAX_HEADER_BYTES = 100_000_000;
    static final String METADATA_KEY = "__metadata__";

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final SequencedMap<String, String> metadata;
    private final List<SafetensorsTensor> tensors;
    private final Map<String, SafetensorsTensor> byName;

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapping, SequencedMap<String, String> metadata,
                            List<SafetensorsTensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.metadata = Collections.unmodifiableSequencedMap(metadata);
        this.tensors = List.copyOf(tensors);
        Map<String, SafetensorsTensor> index = new LinkedHashMap<>();
        for (SafetensorsTensor t : tensors) index.put(t.name(), t);
        this.byName = index;
    }

    /**
     * Maps and validates a safetensors file.
     *
     * @throws SafetensorsFormatException when the file is malformed, with a one-line reason
     */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return parse(path, arena, mapping);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, Arena arena, MemorySegment file) throws IOException {
        String where = path.getFileName() + ": ";
        long fileSize = file.byteSize();
        if (fileSize < 8) {
            throw new SafetensorsFormatException(where + "truncated safetensors file: " + fileSize
                    + " bytes, too short for the 8-byte header length");
        }
        long headerLength = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8) {
            throw new SafetensorsFormatException(where + "header length " + Long.toUnsignedString(headerLength)
                    + " is invalid (file size " + fileSize + ", limit " + MAX_HEADER_BYTES + ")");
        }
        byte[] headerBytes = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
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
        return new SafetensorsFile(path, arena, file, metadata, tensors);
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

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} strings, in header order (empty when absent). */
    public SequencedMap<String, String> metadata() {
        return metadata;
    }

    /** The tensors in data order. */
    public List<SafetensorsTensor> tensors() {
        return tensors;
    }

    /** The tensor with this name, or null. */
    public SafetensorsTensor tensor(String name) {
        return byName.get(name);
    }

    public long fileSize() {
        return mapping.byteSize();
    }

    /** A tensor's bytes: a read-only slice of the mapping, valid until {@link #close()}. */
    public MemorySegment data(SafetensorsTensor tensor) {
        if (!tensor.equals(byName.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor + " is not in " + path);
        }
        return mapping.asSlice(tensor.fileOffset(), tensor.byteSize());
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
