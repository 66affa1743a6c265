package io.quanthub.gguf.format;

import io.quanthub.gguf.ByteRanges;
import io.quanthub.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading a GGUF header by byte range, as the hub does for files in object storage. */
class GgufHeaderTest {
    @TempDir
    Path dir;

    /** Serves ranges of a byte array and records every read, refusing reads past the end like S3 would not. */
    private static final class RecordingRanges implements ByteRanges {
        final byte[] file;
        final List<long[]> reads = new ArrayList<>();

        RecordingRanges(byte[] file) {
            this.file = file;
        }

        @Override
        public byte[] read(long offset, int length) {
            assertTrue(offset >= 0 && length > 0 && offset + length <= file.length,
                    "read " + offset + "+" + length + " of " + file.length);
            reads.add(new long[] {offset, length});
            return Arrays.copyOfRange(file, (int) offset, (int) offset + length);
        }

        long bytesRead() {
            return reads.stream().mapToLong(r -> r[1]).sum();
        }
    }

    private byte[] sampleFile() throws IOException {
        Path path = dir.resolve("sample.gguf");
        List<TensorSpec> tensors = List.of(
                TensorSpec.of("a.weight", GgmlType.Q8_0, 4096, 8),
                TensorSpec.of("b.weight", GgmlType.F16, 64, 64),
                TensorSpec.of("c.bias", GgmlType.F32, 64));
        GgufTestFiles.write(path, GgufTestFiles.everyValueType(), tensors, 1 << 16);
        return Files.readAllBytes(path);
    }

    @Test
    void headerReadByGrowingRangesEqualsTheMappedFile() throws IOException {
        byte[] bytes = sampleFile();
        GgufHeader expected;
        try (GgufFile file = GgufFile.open(dir.resolve("sample.gguf"))) {
            expected = file.header();
        }
        RecordingRanges ranges = new RecordingRanges(bytes);
        GgufHeader header = GgufHeader.read(ranges, bytes.length, 64, 1 << 20);

        assertEquals(expected.version(), header.version());
        assertEquals(expected.alignment(), header.alignment());
        assertEquals(expected.metadata(), header.metadata());
        assertEquals(expected.tensors(), header.tensors());
        assertEquals(expected.dataOffset(), header.dataOffset());
        assertEquals(bytes.length, header.fileSize());
        // 64 bytes are not enough: later reads continue where the previous ended, and never reach the tensor data.
        assertTrue(ranges.reads.size() > 1, "several reads");
        long end = 0;
        for (long[] r : ranges.reads) {
            assertEquals(end, r[0], "contiguous reads");
            end += r[1];
        }
        assertTrue(ranges.bytesRead() <= 2 * header.dataOffset(), ranges.bytesRead() + " bytes read for a header of "
                + header.dataOffset());
    }

    @Test
    void oneReadWhenTheFirstRangeHoldsTheHeader() throws IOException {
        byte[] bytes = sampleFile();
        RecordingRanges ranges = new RecordingRanges(bytes);
        GgufHeader header = GgufHeader.read(ranges, bytes.length, 1 << 20, 1 << 20);
        assertEquals(1, ranges.reads.size());
        assertEquals(bytes.length, ranges.bytesRead()); // the file is smaller than the first read
        assertEquals(3, header.tensors().size());
    }

    @Test
    void headerAboveTheLimitIsRefused() throws IOException {
        byte[] bytes = sampleFile();
        GgufFormatException e = assertThrows(GgufFormatException.class,
                () -> GgufHeader.read(new RecordingRanges(bytes), bytes.length, 32, 256));
        assertTrue(e.getMessage().startsWith("GGUF header is larger than the limit of 256 bytes"), e.getMessage());
    }

    @Test
    void formatErrorsAreTheSameAsForMappedFiles() {
        // Declares a 1 GiB string in a 40-byte file: a truncated file, not a reason to fetch more.
        byte[] lying = RawGguf.header(3, 0, 1).u64(1L << 30).raw(new byte[16]).bytes();
        GgufFormatException e = assertThrows(GgufFormatException.class,
                () -> GgufHeader.read(new RecordingRanges(lying), lying.length, 8, 1 << 20));
        assertTrue(e.getMessage().startsWith("truncated file: metadata key #0 needs 1073741824 bytes"), e.getMessage());

        // A tensor whose data lies past the end of the file is caught from the header alone.
        byte[] header = RawGguf.header(3, 1, 0).tensor("t", GgmlType.F32.id, 0, 1024).pad(32).bytes();
        e = assertThrows(GgufFormatException.class,
                () -> GgufHeader.read(new RecordingRanges(header), header.length, 16, 1 << 20));
        assertTrue(e.getMessage().contains("extends past the end of the file"), e.getMessage());

        byte[] notGguf = "GGML and more bytes".getBytes();
        e = assertThrows(GgufFormatException.class,
                () -> GgufHeader.read(new RecordingRanges(notGguf), notGguf.length, 1024, 1 << 20));
        assertTrue(e.getMessage().startsWith("not a GGUF file"), e.getMessage());
    }

    @Test
    void metadataOnlyFileNeedsNoAlignment() throws IOException {
        byte[] bytes = RawGguf.header(3, 0, 1).kvU32("k", 7).bytes();
        GgufHeader header = GgufHeader.read(new RecordingRanges(bytes), bytes.length, 4, 1 << 20);
        assertEquals(Map.of("k", GgufValue.u32(7)), header.metadata());
        assertEquals(bytes.length, header.dataOffset());
    }
}
