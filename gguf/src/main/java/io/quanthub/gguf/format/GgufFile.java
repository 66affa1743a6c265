package io.quanthub.gguf.format;

import io.quanthub.gguf.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

/**
 * A GGUF file (v2 or v3), memory-mapped read-only and fully validated on open, so that nothing read later can point
 * outside the file. The mapping is shared: tensor data may be read from several threads until {@link #close()}.
 *
 * <p>Validation follows ggml's gguf.cpp (spec §1.4) with ComfyUI-GGUF's extensions (names up to 127 bytes, up to 5 dims)
 * and two QuantHub limits: strings must be valid UTF-8 and arrays hold at most {@value #MAX_ARRAY_ELEMENTS} elements
 * (real files stay far below; a bigger limit would let a small hostile file exhaust the heap with value objects).
 */
public final class GgufFile implements AutoCloseable {
    /** gguf.cpp's GGUF_MAX_STRING_LENGTH. */
    static final long MAX_STRING_BYTES = 1L << 30;
    /** gguf.cpp allows 2^30 elements; QuantHub holds values as objects and allows 2^24 (tokenizers use ~2^18). */
    static final int MAX_ARRAY_ELEMENTS = 1 << 24;
    /** The smallest tensor-info record: 1-byte name, 1 dim. */
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8;
    /** The smallest KV: 1-byte key, 1-byte value. */
    private static final long MIN_KV_BYTES = 8 + 1 + 4 + 1;

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final int version;
    private final int alignment;
    private final SequencedMap<String, GgufValue> metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, int version, int alignment,
                     SequencedMap<String, GgufValue> metadata, List<TensorInfo> tensors, long dataOffset) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.version = version;
        this.alignment = alignment;
        this.metadata = Collections.unmodifiableSequencedMap(metadata);
        this.tensors = List.copyOf(tensors);
        Map<String, TensorInfo> index = new LinkedHashMap<>();
        for (TensorInfo t : tensors) index.put(t.name(), t);
        this.byName = index;
        this.dataOffset = dataOffset;
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
            return parse(path, arena, mapping);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment file) throws GgufFormatException {
        SegmentReader in = new SegmentReader(file);
        int magic = in.u32("magic");
        if (magic != GgufLayout.MAGIC) {
            throw new GgufFormatException(String.format(
                    "not a GGUF file: magic at offset 0 is 0x%08x, expected 0x%08x (\"GGUF\")", magic,
                    GgufLayout.MAGIC));
        }
        int version = checkVersion(in.u32("version"));
        long nTensors = count(in, "tensor count", MIN_TENSOR_INFO_BYTES);
        long nKv = count(in, "metadata KV count", MIN_KV_BYTES);

        SequencedMap<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            long keyOffset = in.position();
            String key = in.string("metadata key #" + i, MAX_STRING_BYTES);
            if (key.isEmpty()) throw new GgufFormatException("empty metadata key at offset " + keyOffset);
            if (metadata.containsKey(key)) {
                throw new GgufFormatException("duplicate metadata key '" + key + "' at offset " + keyOffset);
            }
            metadata.put(key, readValue(in, key));
        }
        int alignment;
        try {
            alignment = GgufLayout.alignmentOf(metadata.get(GgufLayout.ALIGNMENT_KEY));
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(e.getMessage());
        }

        List<TensorInfo> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        long expectedOffset = 0;
        for (long i = 0; i < nTensors; i++) {
            long infoOffset = in.position();
            String name = in.string("tensor name #" + i, MAX_STRING_BYTES);
            String where = "tensor '" + name + "' (info at offset " + infoOffset + ")";
            String problem = TensorShapes.nameProblem(name);
            if (problem != null) throw new GgufFormatException(problem + ": " + where);
            if (!names.add(name)) throw new GgufFormatException("duplicate " + where);
            int nDims = in.u32(where + " n_dims");
            if (nDims < 1 || nDims > TensorShapes.MAX_DIMS) {
                throw new GgufFormatException(where + " has n_dims " + Integer.toUnsignedString(nDims)
                        + ", expected 1 to " + TensorShapes.MAX_DIMS);
            }
            long[] dims = new long[nDims];
            for (int d = 0; d < nDims; d++) dims[d] = in.u64(where + " dim " + d);
            int typeId = in.u32(where + " type");
            GgmlType type = GgmlType.byId(typeId).orElseThrow(() -> new GgufFormatException(
                    where + " has unknown or removed ggml type id " + Integer.toUnsignedString(typeId)));
            problem = TensorShapes.shapeProblem(dims, type);
            if (problem != null) {
                throw new GgufFormatException(problem + ": " + where + ", dims " + Arrays.toString(dims));
            }
            long offset = in.u64(where + " offset");
            if (offset != expectedOffset) {
                throw new GgufFormatException(where + " has data offset " + Long.toUnsignedString(offset)
                        + ", expected " + expectedOffset + " (tensors must be packed in order with alignment "
                        + alignment + ")");
            }
            TensorInfo info = new TensorInfo(name, dims, type, offset);
            tensors.add(info);
            try {
                expectedOffset = Math.addExact(offset, GgufLayout.alignUp(info.byteSize(), alignment));
            } catch (ArithmeticException e) {
                throw new GgufFormatException("data section size overflows 64 bits at " + where);
            }
        }

        // As gguf.cpp: the data section is aligned only when there are tensors (writers pad anyway).
        long dataOffset;
        try {
            dataOffset = nTensors > 0 ? GgufLayout.alignUp(in.position(), alignment) : in.position();
        } catch (ArithmeticException e) {
            throw new GgufFormatException("data offset overflows 64 bits");
        }
        long fileSize = file.byteSize();
        for (TensorInfo t : tensors) {
            // Trailing padding after the last tensor is not required (llama.cpp's mmap loader does not need it).
            if (t.byteSize() > 0 && (dataOffset > fileSize || t.offset() > fileSize - dataOffset
                    || t.byteSize() > fileSize - dataOffset - t.offset())) {
                throw new GgufFormatException("tensor '" + t.name() + "' data at file offset "
                        + Long.toUnsignedString(dataOffset + t.offset()) + " (+" + t.byteSize()
                        + " bytes) extends past the end of the file (" + fileSize + " bytes)");
            }
        }
        return new GgufFile(path, arena, file, version, alignment, metadata, tensors, dataOffset);
    }

    /** gguf.cpp's version rules: 2 and 3 are read, everything else is refused with the reason. */
    private static int checkVersion(int version) throws GgufFormatException {
        if (version == 0) throw new GgufFormatException("invalid GGUF version 0 at offset 4");
        if ((version & 0xFFFF) == 0) {
            throw new GgufFormatException(String.format("GGUF version field 0x%08x at offset 4 looks byte-swapped"
                    + " (a big-endian file?); only little-endian files are supported", version));
        }
        if (version == 1) throw new GgufFormatException("GGUF version 1 is not supported (only 2 and 3)");
        if (Integer.compareUnsigned(version, 3) > 0) {
            throw new GgufFormatException("GGUF version " + Integer.toUnsignedString(version)
                    + " is newer than the supported version 3");
        }
        return version;
    }

    /** A count that must be non-negative and small enough for its records to fit in the rest of the file. */
    private static long count(SegmentReader in, String what, long minRecordBytes) throws GgufFormatException {
        long offset = in.position();
        long n = in.u64(what);
        if (n < 0 || n > in.remaining() / minRecordBytes) {
            throw new GgufFormatException(what + " " + Long.toUnsignedString(n) + " at offset " + offset
                    + " cannot fit in the remaining " + in.remaining() + " bytes");
        }
        return n;
    }

    private static GgufValue readValue(SegmentReader in, String key) throws GgufFormatException {
        long typeOffset = in.position();
        int code = in.u32("value type of key '" + key + "'");
        GgufValueType type = GgufValueType.byCode(code).orElseThrow(() -> new GgufFormatException(
                "unknown value type " + Integer.toUnsignedString(code) + " for key '" + key + "' at offset "
                        + typeOffset));
        if (type != GgufValueType.ARRAY) return readScalar(in, type, key);

        int elemCode = in.u32("array element type of key '" + key + "'");
        GgufValueType elemType = GgufValueType.byCode(elemCode).orElseThrow(() -> new GgufFormatException(
                "unknown array element type " + Integer.toUnsignedString(elemCode) + " for key '" + key
                        + "' at offset " + (typeOffset + 4)));
        if (elemType == GgufValueType.ARRAY) {
            throw new GgufFormatException("nested arrays are not supported: key '" + key + "' at offset "
                    + typeOffset);
        }
        long lengthOffset = in.position();
        long n = in.u64("array length of key '" + key + "'");
        if (n < 0 || n > MAX_ARRAY_ELEMENTS) {
            throw new GgufFormatException("array of key '" + key + "' at offset " + lengthOffset + " has "
                    + Long.toUnsignedString(n) + " elements, more than the limit of " + MAX_ARRAY_ELEMENTS);
        }
        if (n > in.remaining() / elemType.minEncodedSize()) {
            throw new GgufFormatException("truncated file: array of key '" + key + "' at offset " + lengthOffset
                    + " declares " + n + " " + elemType.shortName + " elements but only " + in.remaining()
                    + " bytes remain");
        }
        List<GgufValue> values = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) values.add(readScalar(in, elemType, key + "[" + i + "]"));
        return new GgufValue.Arr(elemType, values);
    }

    private static GgufValue readScalar(SegmentReader in, GgufValueType type, String key) throws GgufFormatException {
        String what = "value of key '" + key + "'";
        return switch (type) {
            case UINT8 -> new GgufValue.U8(in.u8(what) & 0xFF);
            case INT8 -> new GgufValue.I8(in.u8(what));
            case UINT16 -> new GgufValue.U16(in.u16(what) & 0xFFFF);
            case INT16 -> new GgufValue.I16(in.u16(what));
            case UINT32 -> new GgufValue.U32(in.u32(what) & 0xFFFF_FFFFL);
            case INT32 -> new GgufValue.I32(in.u32(what));
            case FLOAT32 -> new GgufValue.F32(Float.intBitsToFloat(in.u32(what)));
            case BOOL -> new GgufValue.Bool(in.u8(what) != 0); // gguf.cpp: any non-zero byte is true
            case STRING -> new GgufValue.Str(in.string(what, MAX_STRING_BYTES));
            case UINT64 -> new GgufValue.U64(in.u64(what));
            case INT64 -> new GgufValue.I64(in.u64(what));
            case FLOAT64 -> new GgufValue.F64(Double.longBitsToDouble(in.u64(what)));
            case ARRAY -> throw new IllegalStateException("arrays are read by readValue");
        };
    }

    public Path path() {
        return path;
    }

    /** The format version: 2 or 3. */
    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** The KVs in file order. */
    public SequencedMap<String, GgufValue> metadata() {
        return metadata;
    }

    /** The tensors in file order. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor with this name, or null. */
    public TensorInfo tensor(String name) {
        return byName.get(name);
    }

    /** Where the data section starts, from the start of the file (the end of the header when there are no tensors). */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return mapping.byteSize();
    }

    /** The data of a tensor of this file: a read-only slice of the mapping, valid until {@link #close()}. */
    public MemorySegment data(TensorInfo tensor) {
        if (!tensor.equals(byName.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor + " is not in " + path);
        }
        return mapping.asSlice(dataOffset + tensor.offset(), tensor.byteSize());
    }

    /** Unmaps the file; segments from {@link #data} become unusable. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
