package io.quanthub.gguf.quant;

import io.quanthub.gguf.BlockLayout;
import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.reference.GgmlLibrary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link QuantFormat#dequantize(MemorySegment, long, float[], int, int)} gives the same float bits as the
 * {@code byte[]} path, for every type, from a memory-mapped file, native memory and heap segments, at unaligned
 * offsets, whole and in the 256-value slices the matmul asks for. The blocks are random bytes (any scale, any
 * quant) and edge cases written field by field from the type's layout: scales of -0.0, the smallest and largest
 * subnormals, the largest finite values. Where ggml is installed, the byte[] path is compared with it on the same
 * blocks, so these arbitrary blocks are checked for exactness too.
 */
class SegmentDequantizeTest {
    /** fp16 scales at the edges: -0.0, smallest and largest subnormal (both signs), largest finite, 1.0. */
    private static final short[] EDGE_F16 = {(short) 0x8000, 0x0000, 0x0001, (short) 0x8001, 0x03FF, (short) 0x83FF,
            0x7BFF, (short) 0xFBFF, 0x3C00};
    private static final float[] EDGE_F32 = {-0.0f, 0.0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            Float.MAX_VALUE, -Float.MAX_VALUE, 1.0f, 0x1p-140f};
    private static final short[] EDGE_BF16 = {(short) 0x8000, 0x0001, (short) 0x8001, 0x007F, 0x7F7F, (short) 0xFF7F,
            0x3F80, 0x0000, 0x0080};

    @TempDir
    Path dir;

    @TestFactory
    Stream<DynamicTest> segmentPathMatchesArrayPath() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GgmlType type : Quants.supported()) {
            tests.add(DynamicTest.dynamicTest(type.toString(), () -> check(type)));
        }
        return tests.stream();
    }

    private void check(GgmlType type) throws IOException {
        QuantFormat format = Quants.of(type);
        // Enough blocks to cross several of the byte[] path's staging chunks, with the edge blocks first.
        byte[] blocks = blocks(type, 3 * ArrayStaging.CHUNK_BYTES / type.typeSize + 7, type.id * 1009L);
        int n = blocks.length / type.typeSize * type.blockSize;
        float[] expected = new float[n];
        format.dequantize(blocks, 0, expected, 0, n);
        compareWithGgml(type, blocks, n, expected);

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeSegment = arena.allocate(blocks.length + 3L);
            MemorySegment.copy(blocks, 0, nativeSegment, ValueLayout.JAVA_BYTE, 3, blocks.length);
            checkSegment(type, "native", nativeSegment, 3, expected);

            Path file = dir.resolve(type + ".bin");
            byte[] padded = new byte[blocks.length + 5];
            System.arraycopy(blocks, 0, padded, 5, blocks.length);
            Files.write(file, padded);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, padded.length, arena);
                checkSegment(type, "mapped", mapped, 5, expected);
            }
            // A heap segment that is a slice of its array: the kernel reads the array at the slice's position.
            checkSegment(type, "heap slice", MemorySegment.ofArray(padded).asSlice(2), 3, expected);
            checkSegment(type, "read-only heap", MemorySegment.ofArray(padded).asReadOnly(), 5, expected);
        }
    }

    /** Whole, then in 256-value slices (or one block where blocks are larger), each at its offset in dst. */
    private static void checkSegment(GgmlType type, String kind, MemorySegment src, long off, float[] expected) {
        QuantFormat format = Quants.of(type);
        float[] whole = new float[expected.length + 1];
        format.dequantize(src, off, whole, 1, expected.length);
        assertSameBits(type + " " + kind, expected, whole, 1);

        int slice = Math.max(256, type.blockSize);
        float[] sliced = new float[expected.length];
        for (int v = 0; v < expected.length; v += slice) {
            int count = Math.min(slice, expected.length - v);
            format.dequantize(src, off + type.rowBytes(v), sliced, v, count);
        }
        assertSameBits(type + " " + kind + " in slices of " + slice, expected, sliced, 0);
    }

    private static void compareWithGgml(GgmlType type, byte[] blocks, int n, float[] ours) {
        GgmlLibrary ggml;
        try {
            ggml = GgmlLibrary.load();
        } catch (IllegalStateException notInstalled) {
            return; // the segment comparison above stands on its own
        }
        assertSameBits(type + " byte[] path against ggml", ggml.dequantize(type, blocks, n), ours, 0);
    }

    private static void assertSameBits(String what, float[] expected, float[] actual, int actualOff) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[actualOff + i])) {
                fail(what + ": value " + i + " is " + actual[actualOff + i] + ", expected " + expected[i]);
            }
        }
    }

    /**
     * {@code count} blocks: first one per edge value (every float field of the block set to it, the other bytes
     * random), then random ones. No float field is NaN or infinite: ggml's NaN payloads are not part of the contract.
     */
    static byte[] blocks(GgmlType type, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] bytes = new byte[count * type.typeSize];
        random.nextBytes(bytes);
        MemorySegment all = MemorySegment.ofArray(bytes);
        ValueLayout.OfShort shortLe = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfInt intLe = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < count; b++) {
            long block = (long) b * type.typeSize;
            for (BlockLayout.Field f : type.layout.fields()) {
                for (int e = 0; e < f.count(); e++) {
                    long at = block + f.offset() + (long) e * f.scalar().bytes;
                    switch (f.scalar()) {
                        case F16 -> {
                            short h = b < EDGE_F16.length ? EDGE_F16[b] : all.get(shortLe, at);
                            // exponent 31 is inf/NaN: take one off the exponent
                            all.set(shortLe, at, (h & 0x7C00) == 0x7C00 ? (short) (h & ~0x0400) : h);
                        }
                        case BF16 -> {
                            short h = b < EDGE_BF16.length ? EDGE_BF16[b] : all.get(shortLe, at);
                            all.set(shortLe, at, (h & 0x7F80) == 0x7F80 ? (short) (h & ~0x0080) : h);
                        }
                        case F32 -> {
                            int u = b < EDGE_F32.length ? Float.floatToRawIntBits(EDGE_F32[b]) : all.get(intLe, at);
                            all.set(intLe, at, (u & 0x7F800000) == 0x7F800000 ? u & ~0x00800000 : u);
                        }
                        default -> {
                            // quants and integer sub-scales stay random
                        }
                    }
                }
            }
        }
        return bytes;
    }

    @Test
    void aShortSegmentIsRefusedNamingTheSizes() {
        QuantFormat q4k = Quants.of(GgmlType.Q4_K);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tooShort = arena.allocate(GgmlType.Q4_K.typeSize * 2L - 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> q4k.dequantize(tooShort, 0, new float[512], 0, 512));
            assertEquals("Q4_K: source segment of 287 bytes cannot hold 288 bytes from offset 0", e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> q4k.dequantize(tooShort, 0, new float[100], 0, 100));
            assertThrows(IllegalArgumentException.class,
                    () -> q4k.dequantize(arena.allocate(1000), 0, new float[255], 0, 256));
        }
    }
}
