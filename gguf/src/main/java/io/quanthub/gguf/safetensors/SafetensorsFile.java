package io.quanthub.gguf.safetensors;


import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * One safetensors file, memory-mapped read-only and validated on open ({@link SafetensorsHeader}): {@code u64 N}, N
 * bytes of JSON header, then the data buffer. The mapping is shared: data may be read from several threads.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The safetensors library refuses headers above 100 MB; so do we. */
    static final long MAX_HEADER_BYTES = SafetensorsHeader.MAX_HEADER_BYTES;

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
        SafetensorsHeader header = SafetensorsHeader.parse(path.getFileName().toString(), file, file.byteSize());
        return new SafetensorsFile(path, arena, file, new LinkedHashMap<>(header.metadata()), header.tensors());
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
