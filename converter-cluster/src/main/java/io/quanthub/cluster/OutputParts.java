package io.quanthub.cluster;

import io.quanthub.gguf.ByteRanges;
import io.quanthub.gguf.convert.Architecture;
import io.quanthub.gguf.convert.ConversionInputs;
import io.quanthub.gguf.convert.ConversionPlan;
import io.quanthub.gguf.convert.ConversionSummary;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantError;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.convert.TensorPlan;
import io.quanthub.gguf.format.GgufHeader;
import io.quanthub.gguf.format.GgufLayout;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.model.SourceTensor;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsHeader;
import io.quanthub.gguf.safetensors.SafetensorsTensor;
import io.quanthub.storage.BlobStore;
import io.quanthub.storage.Digest;
import io.quanthub.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The output file of one conversion, produced piece by piece: the plan and the exact layout are computed from the
 * source's header alone (read by range from the blob store), so any byte range of the output can be produced on
 * its own by quantizing only the rows that overlap it. The bytes of a range never depend on how the file was cut
 * into ranges, so the output is the same whichever members produce which parts, and the same as
 * {@link Converter}'s single-process output.
 *
 * <p>Sources: a safetensors file, or a GGUF file of F32/F16/BF16 tensors (requantizing an already quantized GGUF is
 * refused, as by {@code quanthub convert}).
 */
final class OutputParts {
    /** First bytes read of a GGUF source, and the most its header may take. */
    private static final int GGUF_FIRST_READ = 1 << 20;
    private static final int GGUF_MAX_HEADER = 64 << 20;

    /** One multipart part of the output: bytes {@code [offset, offset + length)}, numbered from 1. */
    record Part(int number, long offset, int length) {}

    /**
     * A produced part: its bytes and the quantization error of the rows that start in it, by tensor index (a row
     * that straddles two parts is encoded by both and measured by the one it starts in, so every row counts once).
     */
    record Produced(byte[] bytes, SortedMap<Integer, QuantError> errors) {}

    private final ConversionPlan plan;
    private final GgufLayout layout;
    private final byte[] header;

    private OutputParts(ConversionPlan plan) {
        this.plan = plan;
        this.layout = plan.layout();
        this.header = layout.encodeHeader();
        List<TensorInfo> infos = layout.tensors();
        for (int i = 0; i < infos.size(); i++) {
            if (!infos.get(i).name().equals(plan.tensors().get(i).name())) {
                throw new IllegalStateException("layout and plan disagree on tensor " + i);
            }
        }
    }

    /**
     * Plans the conversion of the blob {@code source} (safetensors or float GGUF) to {@code level}, reading only its
     * header.
     *
     * @throws StorageException.NotFound when the source blob is not stored
     */
    static OutputParts plan(BlobStore blobs, Digest source, QuantLevel level) throws IOException {
        return plan(blobs, source, level, () -> ConversionInputs.NONE);
    }

    /**
     * {@link #plan(BlobStore, Digest, QuantLevel)} for a source that may be a text encoder: {@code inputs} (its
     * tokenizer) is asked for only when the tensors are one.
     */
    static OutputParts plan(BlobStore blobs, Digest source, QuantLevel level, InputsSupplier inputs)
            throws IOException {
        long size = blobs.stat(source).orElseThrow(() ->
                new StorageException.NotFound("source blob " + source + " is not stored")).size();
        ByteRanges ranges = (offset, length) -> read(blobs, source, offset, length);
        byte[] magic = size >= 4 ? ranges.read(0, 4) : new byte[0];
        if (magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F') {
            return planGguf(ranges, size, level);
        }
        SafetensorsHeader header = SafetensorsHeader.read(source.toString(), ranges, size);
        List<SourceTensor> tensors = new ArrayList<>(header.tensors().size());
        for (SafetensorsTensor t : header.tensors()) {
            tensors.add(new RemoteTensor(t.name(), t.shape(), t.dtype(), t.fileOffset(), ranges));
        }
        boolean textEncoder = Architecture.isLlamaCppModel(tensors.stream().map(SourceTensor::name).toList());
        return new OutputParts(ConversionPlan.of(tensors, Map.of(), level,
                textEncoder ? inputs.get() : ConversionInputs.NONE));
    }

    /** Reads a text encoder's inputs (from storage). */
    @FunctionalInterface
    interface InputsSupplier {
        ConversionInputs get() throws IOException;
    }

    private static OutputParts planGguf(ByteRanges ranges, long size, QuantLevel level) throws IOException {
        GgufHeader header = GgufHeader.read(ranges, size, GGUF_FIRST_READ, GGUF_MAX_HEADER);
        List<SourceTensor> tensors = new ArrayList<>(header.tensors().size());
        for (TensorInfo t : header.tensors()) {
            Dtype dtype = switch (t.type()) {
                case F32 -> Dtype.F32;
                case F16 -> Dtype.F16;
                case BF16 -> Dtype.BF16;
                default -> throw new IllegalArgumentException("requantizing " + t.type() + " (tensor '" + t.name()
                        + "') is not supported; convert from an F32, F16 or BF16 source");
            };
            tensors.add(new RemoteTensor(t.name(), t.shape(), dtype, header.dataOffset() + t.offset(), ranges));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        header.metadata().forEach((key, value) -> metadata.put(key, value.toString()));
        return new OutputParts(ConversionPlan.of(tensors, ConversionPlan.logicalShapes(metadata), level));
    }

    private static byte[] read(BlobStore blobs, Digest blob, long offset, int length) throws IOException {
        try (InputStream in = blobs.open(blob, offset, length)) {
            byte[] bytes = in.readNBytes(length);
            if (bytes.length != length) {
                throw new IOException(blob + " ended after " + (offset + bytes.length) + " bytes, wanted "
                        + (offset + length));
            }
            return bytes;
        }
    }

    long fileSize() {
        return layout.fileSize();
    }

    List<TensorPlan> tensors() {
        return plan.tensors();
    }

    /** Average bits per weight of the quantizable tensors, as the variant record states it. */
    double bitsPerWeight() {
        return ConversionSummary.of(plan, null, fileSize(), Duration.ZERO).bitsPerWeight();
    }

    /** The output cut into parts of {@code partSize} bytes (the last one shorter). */
    List<Part> parts(int partSize) {
        List<Part> parts = new ArrayList<>();
        for (long offset = 0; offset < fileSize(); offset += partSize) {
            parts.add(new Part(parts.size() + 1, offset, (int) Math.min(partSize, fileSize() - offset)));
        }
        return parts;
    }

    /**
     * The output bytes {@code [offset, offset + length)}: header bytes where the range overlaps the header, the
     * encoded rows of every tensor it overlaps, and zeros for the alignment padding; with the error of the rows that
     * start in the range. Rows are encoded {@link Converter#CHUNK_ELEMENTS} values at a time, so besides the part
     * itself a call holds a few MiB.
     */
    Produced produce(long offset, int length) {
        long end = offset + length;
        if (offset < 0 || length < 0 || end > fileSize()) {
            throw new IndexOutOfBoundsException("bytes " + offset + "+" + length + " outside the output of "
                    + fileSize() + " bytes");
        }
        byte[] out = new byte[length]; // padding stays zero
        SortedMap<Integer, QuantError> errors = new TreeMap<>();
        copyOverlap(header, 0, out, offset);
        List<TensorPlan> tensors = plan.tensors();
        for (int i = 0; i < tensors.size(); i++) {
            TensorPlan t = tensors.get(i);
            long start = layout.fileOffset(layout.tensors().get(i));
            long from = Math.max(start, offset);
            long to = Math.min(start + t.byteSize(), end);
            if (from >= to) continue;
            long unitBytes = Converter.unitBytes(t);
            long firstUnit = (from - start) / unitBytes;
            long endUnit = Math.ceilDiv(to - start, unitBytes);
            if (start + firstUnit * unitBytes < offset) {
                // The previous part measures the row it starts; this part only needs its bytes.
                copyOverlap(Converter.encodeUnits(t, firstUnit, 1), start + firstUnit * unitBytes, out, offset);
                firstUnit++;
            }
            long unitsPerCall = Math.max(1, Converter.CHUNK_ELEMENTS / Converter.unitLength(t));
            QuantError error = QuantError.NONE;
            for (long unit = firstUnit; unit < endUnit; unit += unitsPerCall) {
                int units = (int) Math.min(unitsPerCall, endUnit - unit);
                Converter.Measured encoded = Converter.encodeUnitsMeasured(t, unit, units);
                copyOverlap(encoded.bytes(), start + unit * unitBytes, out, offset);
                error = error.plus(encoded.error());
            }
            if (error.elements() > 0) errors.put(i, error);
        }
        return new Produced(out, errors);
    }

    /** Copies the part of {@code bytes} (which lie at file offset {@code at}) that falls into {@code out}. */
    private static void copyOverlap(byte[] bytes, long at, byte[] out, long outOffset) {
        long from = Math.max(at, outOffset);
        long to = Math.min(at + bytes.length, outOffset + out.length);
        if (from < to) System.arraycopy(bytes, (int) (from - at), out, (int) (from - outOffset), (int) (to - from));
    }
}
