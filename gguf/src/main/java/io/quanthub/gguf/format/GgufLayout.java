package io.quanthub.gguf.format;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

/**
 * The exact byte layout of a GGUF v3 file, known before a single tensor byte is written: where the header ends, where
 * the data section starts and where every tensor lies. It packs tensors the way ggml's writer does and ggml's reader
 * demands (spec §1.3): in the given order, the first at offset 0, each padded with zeros to the alignment, including
 * the last.
 *
 * @param metadata   the KVs in file order
 * @param alignment  {@code general.alignment} if present, else 32
 * @param tensors    the tensors in file order, with their offsets in the data section
 * @param headerSize bytes of magic, counts, KVs and tensor infos (before the padding)
 * @param dataOffset where the data section starts: {@code headerSize} aligned up
 * @param fileSize   the total file size: the data section ends with the last tensor's padding
 */
public record GgufLayout(SequencedMap<String, GgufValue> metadata, int alignment, List<TensorInfo> tensors,
                         long headerSize, long dataOffset, long fileSize) {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";

    public GgufLayout {
        metadata = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
    }

    /**
     * Lays out a file with these KVs (in iteration order) and tensors (in list order).
     *
     * @throws IllegalArgumentException for an empty key, a bad {@code general.alignment} or a duplicate tensor name
     */
    public static GgufLayout compute(Map<String, GgufValue> metadata, List<TensorSpec> tensors) {
        for (String key : metadata.keySet()) {
            if (key.isEmpty()) throw new IllegalArgumentException("empty metadata key");
        }
        int alignment = alignmentOf(metadata.get(ALIGNMENT_KEY));
        Set<String> names = new HashSet<>();
        List<TensorInfo> infos = new ArrayList<>(tensors.size());
        long offset = 0;
        for (TensorSpec t : tensors) {
            if (!names.add(t.name())) throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
            infos.add(new TensorInfo(t.name(), t.dims(), t.type(), offset));
            offset = Math.addExact(offset, alignUp(t.byteSize(), alignment));
        }
        long headerSize = encode(metadata, infos).length;
        long dataOffset = alignUp(headerSize, alignment);
        return new GgufLayout(new LinkedHashMap<>(metadata), alignment, infos, headerSize, dataOffset,
                Math.addExact(dataOffset, offset));
    }

    /**
     * The alignment a {@code general.alignment} value declares (32 when absent), following gguf.cpp: the value must
     * be a u32, non-zero and a power of two.
     */
    public static int alignmentOf(GgufValue value) {
        if (value == null) return DEFAULT_ALIGNMENT;
        if (!(value instanceof GgufValue.U32(long a))) {
            throw new IllegalArgumentException(ALIGNMENT_KEY + " must be a u32, not " + value.type().shortName);
        }
        if (a == 0 || (a & (a - 1)) != 0) {
            throw new IllegalArgumentException(ALIGNMENT_KEY + " = " + a + " is not a power of two");
        }
        if (a > 1 << 30) throw new IllegalArgumentException(ALIGNMENT_KEY + " = " + a + " is larger than 2^30");
        return (int) a;
    }

    /** {@code x} rounded up to a multiple of {@code alignment} (a power of two). */
    public static long alignUp(long x, int alignment) {
        return Math.addExact(x, alignment - 1) & -(long) alignment;
    }

    /** Where this tensor's data starts, from the start of the file. */
    public long fileOffset(TensorInfo tensor) {
        return dataOffset + tensor.offset();
    }

    /**
     * The first {@link #dataOffset} bytes of the file: magic, version, counts, KVs, tensor infos and the zero padding
     * before the data section.
     */
    public byte[] encodeHeader() {
        byte[] header = encode(metadata, tensors);
        byte[] padded = new byte[Math.toIntExact(dataOffset)];
        System.arraycopy(header, 0, padded, 0, header.length);
        return padded;
    }

    /** Serializes the header (without padding) as gguf.cpp's gguf_write_out does. */
    private static byte[] encode(Map<String, GgufValue> metadata, List<TensorInfo> tensors) {
        Encoder out = new Encoder();
        out.u32(MAGIC);
        out.u32(VERSION);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, GgufValue> kv : metadata.entrySet()) {
            out.string(kv.getKey());
            out.u32(kv.getValue().type().code);
            out.value(kv.getValue());
        }
        for (TensorInfo t : tensors) {
            out.string(t.name());
            out.u32(t.nDims());
            for (long d : t.dims()) out.u64(d);
            out.u32(t.type().id);
            out.u64(t.offset());
        }
        return out.toByteArray();
    }

    /** Little-endian primitive writer for the header. */
    private static final class Encoder extends ByteArrayOutputStream {
        void u16(int v) {
            write(v);
            write(v >>> 8);
        }

        void u32(int v) {
            u16(v);
            u16(v >>> 16);
        }

        void u64(long v) {
            u32((int) v);
            u32((int) (v >>> 32));
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            writeBytes(b);
        }

        void value(GgufValue value) {
            switch (value) {
                case GgufValue.U8 v -> write(v.value());
                case GgufValue.I8 v -> write(v.value());
                case GgufValue.U16 v -> u16(v.value());
                case GgufValue.I16 v -> u16(v.value());
                case GgufValue.U32 v -> u32((int) v.value());
                case GgufValue.I32 v -> u32(v.value());
                case GgufValue.F32 v -> u32(Float.floatToRawIntBits(v.value()));
                case GgufValue.Bool v -> write(v.value() ? 1 : 0);
                case GgufValue.Str v -> string(v.value());
                case GgufValue.U64 v -> u64(v.value());
                case GgufValue.I64 v -> u64(v.value());
                case GgufValue.F64 v -> u64(Double.doubleToRawLongBits(v.value()));
                case GgufValue.Arr a -> {
                    u32(a.elementType().code);
                    u64(a.values().size());
                    for (GgufValue e : a.values()) value(e);
                }
            }
        }
    }
}
