package io.quanthub.gguf.format;

import io.quanthub.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files over 2 GiB: offsets beyond 2^31 must work through the FFM mapping. */
class GgufLargeFileTest {
    @TempDir
    Path dir;

    @Test
    void readsATensorBeyondTwoGiB() throws IOException {
        // A 2.5 GiB I8 tensor whose data is never written (a sparse hole), then a small tensor after it.
        long hugeElements = 5L << 29;
        List<TensorSpec> tensors = List.of(
                TensorSpec.of("huge", GgmlType.I8, hugeElements),
                TensorSpec.of("tail", GgmlType.F32, 4));
        GgufLayout layout = GgufLayout.compute(Map.of("general.architecture", GgufValue.of("test")), tensors);
        TensorInfo tail = layout.tensors().get(1);
        long tailAt = layout.fileOffset(tail);
        assertTrue(tailAt > 1L << 31);

        byte[] tailBytes = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        Path file = dir.resolve("large.gguf");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.SPARSE)) {
            ch.write(ByteBuffer.wrap(layout.encodeHeader()), 0);
            ch.write(ByteBuffer.wrap(tailBytes), tailAt);
            ch.write(ByteBuffer.wrap(new byte[16]), tailAt + 16); // trailing padding sets the file size
        }

        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(layout.fileSize(), gguf.fileSize());
            TensorInfo read = gguf.tensor("tail");
            assertEquals(tail, read);
            assertArrayEquals(tailBytes, gguf.data(read).toArray(ValueLayout.JAVA_BYTE));
            MemorySegment huge = gguf.data(gguf.tensor("huge"));
            assertEquals(hugeElements, huge.byteSize());
            assertEquals(0, huge.get(ValueLayout.JAVA_BYTE, hugeElements - 1));
        }
    }
}
