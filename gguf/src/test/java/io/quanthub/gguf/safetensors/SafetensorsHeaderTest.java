package io.quanthub.gguf.safetensors;

import io.quanthub.gguf.ByteRanges;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading a safetensors header by byte range, as the hub does for files in object storage. */
class SafetensorsHeaderTest {
    @TempDir
    Path dir;

    @Test
    void headerReadByRangeEqualsTheMappedFileAndSkipsTheData() throws IOException {
        byte[] bytes = new SafetensorsTestFiles()
                .metadata(Map.of("format", "pt"))
                .tensor("b", "BF16", new long[] {4, 8}, new byte[64])
                .tensor("a", "F32", new long[] {1000}, new byte[4000])
                .bytes();
        List<long[]> reads = new ArrayList<>();
        ByteRanges ranges = (offset, length) -> {
            reads.add(new long[] {offset, length});
            return Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
        };
        SafetensorsHeader header = SafetensorsHeader.read("m.safetensors", ranges, bytes.length);

        try (SafetensorsFile file = SafetensorsFile.open(new SafetensorsTestFiles()
                .metadata(Map.of("format", "pt"))
                .tensor("b", "BF16", new long[] {4, 8}, new byte[64])
                .tensor("a", "F32", new long[] {1000}, new byte[4000])
                .write(dir.resolve("m.safetensors")))) {
            assertEquals(file.metadata(), header.metadata());
            assertEquals(file.tensors(), header.tensors());
        }
        assertEquals(2, reads.size());
        long headerEnd = reads.get(1)[0] + reads.get(1)[1];
        assertEquals(8, reads.get(1)[0]);
        assertEquals(header.tensors().getFirst().fileOffset(), headerEnd, "nothing of the data is read");
    }

    @Test
    void malformedHeadersNameTheFile() {
        byte[] lying = new byte[16];
        lying[0] = (byte) 200; // a 200-byte header in a 16-byte file
        ByteRanges ranges = (offset, length) -> Arrays.copyOfRange(lying, (int) offset, (int) offset + length);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> SafetensorsHeader.read("x.safetensors", ranges, lying.length));
        assertTrue(e.getMessage().startsWith("x.safetensors: header length 200 is invalid"), e.getMessage());

        e = assertThrows(SafetensorsFormatException.class,
                () -> SafetensorsHeader.read("tiny.safetensors", ranges, 5));
        assertTrue(e.getMessage().contains("too short for the 8-byte header length"), e.getMessage());

        byte[] overlapping = new SafetensorsTestFiles().bytesWithHeader(
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}");
        byte[] withData = Arrays.copyOf(overlapping, overlapping.length + 6);
        e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsHeader.read("o.safetensors",
                (offset, length) -> Arrays.copyOfRange(withData, (int) offset, (int) offset + length),
                withData.length));
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }
}
