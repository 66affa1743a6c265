package io.quanthub.gguf.format;

import io.quanthub.gguf.ByteRanges;
import io.quanthub.gguf.GgmlType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.Set;

/**
 * Everything of a GGUF file (v2 or v3) before its data section: version, metadata and tensor table, validated
 * against the file size so that nothing in it points outside the file. {@link GgufFile} parses it from a mapped
 * file; {@link #read(ByteRanges, long, int, int)} parses it from the first bytes of a file read by range (a model in
 * object storage), fetching more only when the header is longer than the first read.
 *
 * <p>Validation follows ggml's gguf.cpp (spec §1.4) with ComfyUI-GGUF's extensions (names up to 127 bytes, up to 5
 * dims) and two QuantHub limits: strings must be valid UTF-8 and arrays hold at most {@value #MAX_ARRAY_ELEMENTS}
 * elements (real files stay far below; a bigger limit would let a small hostile file exhaust the heap with value
 * objects).
 *
 * @param metadata   the KVs in file order
 * @param tensors    the tensors in file order
 * @param dataOffset where the data section starts (the end of the header when there are no tensors)
 * @param fileSize   the size of the whole file
 */
public record GgufHeader(int version, int alignment, SequencedMap<String, GgufValue> metadata,
                         List<TensorInfo> tensors, long dataOffset, long fileSize) {
    /** gguf.cpp's GGUF_MAX_STRING_LENGTH. */
    static final long MAX_STRING_BYTES = 1L << 30;
    /** gguf.cpp allows 2^30 elements; QuantHub holds values as objects and allows 2^24 (tokenizers use ~2^18). */
    static final int MAX_ARRAY_ELEMENTS = 1 << 24;
    /** The smallest tensor-info record: 1-byte name, 1 dim. */
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8;
    /** The smallest KV: 1-byte key, 1-byte value. */
    private static final long MIN_KV_BYTES = 8 + 1 + 4 + 1;

    public GgufHeader {
        metadata = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
    }

    /**
     * Reads the header of a file of {@code fileSize} bytes by range: the first {@code firstRead} bytes (1 MiB holds
     * the header of a diffusion model), then, while the header continues past what was read, at least twice as much,
     * up to {@code maxHeaderBytes}.
     *
     * @throws GgufFormatException when the file is not a valid GGUF file or its header is longer than
     *                             {@code maxHeaderBytes}, with a one-line reason
     * @throws IOException         when {@code source} fails
     */
    public static GgufHeader read(ByteRanges source, long fileSize, int firstRead, int maxHeaderBytes)
            throws IOException {
        if (fileSize < 0 || firstRead <= 0 || maxHeaderBytes < firstRead) {
            throw new IllegalArgumentException("bad header read: file size " + fileSize + ", first read " + firstRead
                    + ", limit " + maxHeaderBytes);
        }
        byte[] prefix = source.read(0, (int) Math.min(firstRead, fileSize));
        while (true) {
            try {
                return parse(MemorySegment.ofArray(prefix), fileSize);
            } catch (SegmentReader.MoreBytesNeeded e) {
                if (e.end > maxHeaderBytes) {
                    throw new GgufFormatException("GGUF header is larger than the limit of " + maxHeaderBytes
                            + " bytes (" + e.getMessage() + ")");
                }
                // e.end <= maxHeaderBytes (an int) and <= fileSize (checked by the reader before MoreBytesNeeded).
                int next = (int) Math.min(Math.max(e.end, 2L * prefix.length), Math.min(maxHeaderBytes, fileSize));
                byte[] more = source.read(prefix.length, next - prefix.length);
                byte[] grown = Arrays.copyOf(prefix, next);
                System.arraycopy(more, 0, grown, prefix.length, more.length);
                prefix = grown;
            }
        }
    }

    /**
     * Parses the header from the first {@code prefix.byteSize()} bytes of a file of {@code fileSize} bytes (the
     * whole file is fine).
     *
     * @throws GgufFormatException when the file is not a valid GGUF file (or, as the package-private
     *                             {@code MoreBytesNeeded}, when the header continues past the prefix)
     */
    static GgufHeader parse(MemorySegment prefix, long fileSize) throws GgufFormatException {
        SegmentReader in = new SegmentReader(prefix, fileSize);
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
        for (TensorInfo t : tensors) {
            // Trailing padding after the last tensor is not required (llama.cpp's mmap loader does not need it).
            if (t.byteSize() > 0 && (dataOffset > fileSize || t.offset() > fileSize - dataOffset
                    || t.byteSize() > fileSize - dataOffset - t.offset())) {
                throw new GgufFormatException("tensor '" + t.name() + "' data at file offset "
                        + Long.toUnsignedString(dataOffset + t.offset()) + " (+" + t.byteSize()
                        + " bytes) extends past the end of the file (" + fileSize + " bytes)");
            }
        }
        return new GgufHeader(version, alignment, metadata, tensors, dataOffset, fileSize);
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
}
