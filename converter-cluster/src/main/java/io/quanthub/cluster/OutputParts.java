package io.quanthub.cluster;

import io.quanthub.gguf.ByteRanges;
import io.quanthub.gguf.convert.ConversionPlan;
import io.quanthub.gguf.convert.ConversionSummary;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.convert.TensorPlan;
import io.quanthub.gguf.format.GgufLayout;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.safetensors.SafetensorsHeader;
import io.quanthub.gguf.safetensors.SafetensorsTensor;
import io.quanthub.storage.BlobStore;
import io.quanthub.storage.Digest;
import io.quanthub.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The output file of one conversion, produced piece by piece: the plan and the exact layout are computed from the
 * source's header alone (read by range from the blob store), so any byte range of the output can be produced on
 * its own by quantizing only the rows that overlap it. The bytes of a range never depend on how the file was cut
 * into ranges, so the output is the same whichever members produce which parts, and the same as
 * {@link Converter}'s single-process output.
 */
final class OutputParts {
    /** Output bytes encoded per call (about; at least one row). */
    private static final long ENCODE_BYTES = 1 << 20;

    /** One multipart part of the output: bytes {@code [offset, offset + length)}, numbered from 1. */
    record Part(int number, long offset, int length) {}

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
     * Plans the conversion of the safetensors blob {@code source} to {@code level}, reading only its header.
     *
     * @throws StorageException.NotFound when the source blob is not stored
     */
    static OutputParts plan(BlobStore blobs, Digest source, QuantLevel level) throws IOException {
        long size = blobs.stat(source).orElseThrow(() ->
                new StorageException.NotFound("source blob " + source + " is not stored")).size();
        ByteRanges ranges = (offset, length) -> read(blobs, source, offset, length);
        SafetensorsHeader header = SafetensorsHeader.read(source.toString(), ranges, size);
        List<io.quanthub.gguf.model.SourceTensor> tensors = new ArrayList<>(header.tensors().size());
        for (SafetensorsTensor t : header.tensors()) tensors.add(new RemoteTensor(t, ranges));
        return new OutputParts(ConversionPlan.of(tensors, Map.of(), level));
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
     * encoded rows of every tensor it overlaps, and zeros for the alignment padding.
     */
    byte[] produce(long offset, int length) {
        long end = offset + length;
        if (offset < 0 || length < 0 || end > fileSize()) {
            throw new IndexOutOfBoundsException("bytes " + offset + "+" + length + " outside the output of "
                    + fileSize() + " bytes");
        }
        byte[] out = new byte[length]; // padding stays zero
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
            long unitsPerCall = Math.max(1, ENCODE_BYTES / unitBytes);
            for (long unit = firstUnit; unit < endUnit; unit += unitsPerCall) {
                int units = (int) Math.min(unitsPerCall, endUnit - unit);
                copyOverlap(Converter.encodeUnits(t, unit, units), start + unit * unitBytes, out, offset);
            }
        }
        return out;
    }

    /** Copies the part of {@code bytes} (which lie at file offset {@code at}) that falls into {@code out}. */
    private static void copyOverlap(byte[] bytes, long at, byte[] out, long outOffset) {
        long from = Math.max(at, outOffset);
        long to = Math.min(at + bytes.length, outOffset + out.length);
        if (from < to) System.arraycopy(bytes, (int) (from - at), out, (int) (from - outOffset), (int) (to - from));
    }
}
