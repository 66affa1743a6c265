package io.quanthub.gguf.format;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * A GGUF file (v2 or v3), memory-mapped read-only and fully validated on open ({@link GgufHeader}), so that nothing
 * read later can point outside the file. The mapping is shared: tensor data may be read from several threads until
 * {@link #close()}.
 */
public final class GgufFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final GgufHeader header;
    private final Map<String, TensorInfo> byName;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, GgufHeader header) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.header = header;
        Map<String, TensorInfo> index = new LinkedHashMap<>();
        for (TensorInfo t : header.tensors()) index.put(t.name(), t);
        this.byName = index;
    }

    /**
     * Maps and validates a GGUF file.
     *
     * @throws GgufFormatException when the file is not a valid GGUF file, with a one-line reason
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new GgufFile(path, arena, mapping, GgufHeader.parse(mapping, mapping.byteSize()));
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The format version: 2 or 3. */
    public int version() {
        return header.version();
    }

    public int alignment() {
        return header.alignment();
    }

    /** The KVs in file order. */
    public SequencedMap<String, GgufValue> metadata() {
        return header.metadata();
    }

    /** The tensors in file order. */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    /** Version, metadata and tensor table. */
    public GgufHeader header() {
        return header;
    }

    /** The tensor with this name, or null. */
    public TensorInfo tensor(String name) {
        return byName.get(name);
    }

    /** Where the data section starts, from the start of the file (the end of the header when there are no tensors). */
    public long dataOffset() {
        return header.dataOffset();
    }

    public long fileSize() {
        return mapping.byteSize();
    }

    /** The data of a tensor of this file: a read-only slice of the mapping, valid until {@link #close()}. */
    public MemorySegment data(TensorInfo tensor) {
        if (!tensor.equals(byName.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor + " is not in " + path);
        }
        return mapping.asSlice(header.dataOffset() + tensor.offset(), tensor.byteSize());
    }

    /** Unmaps the file; segments from {@link #data} become unusable. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
