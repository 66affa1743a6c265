package io.quanthub.gguf.format;

import io.quanthub.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Every validation rule of the reader, and hostile files: each must give a GgufFormatException, never anything else. */
class GgufCorruptionTest {
    private static final int F32 = GgmlType.F32.id;
    private static final int U32 = GgufValueType.UINT32.code;

    @TempDir
    Path dir;

    private int files;

    /** Asserts that opening these bytes fails with a GgufFormatException whose message contains {@code expected}. */
    private void assertRejected(RawGguf gguf, String expected) throws IOException {
        assertRejected(gguf.bytes(), expected);
    }

    private void assertRejected(byte[] bytes, String expected) throws IOException {
        Path file = Files.write(dir.resolve("bad" + files++ + ".gguf"), bytes);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(file).close());
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' lacks '" + expected + "'");
        assertFalse(e.getMessage().contains("\n"), "one-line message");
    }

    /** A valid file with one F32 tensor of {@code dims} (data zero-filled). */
    private static RawGguf oneTensor(String name, int type, long offset, long... dims) {
        return RawGguf.header(3, 1, 0).tensor(name, type, offset, dims).pad(32);
    }

    @Test
    void validHandBuiltFileIsAccepted() throws IOException {
        Path file = oneTensor("t", F32, 0, 4, 2).zeros(32).write(dir.resolve("ok.gguf"));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(32, gguf.tensors().getFirst().byteSize());
        }
        Path v2 = RawGguf.header(2, 0, 1).kvU32("k", 1).write(dir.resolve("v2.gguf"));
        try (GgufFile gguf = GgufFile.open(v2)) {
            assertEquals(2, gguf.version());
        }
    }

    @Test
    void magicAndVersion() throws IOException {
        assertRejected(new byte[0], "truncated file: magic");
        assertRejected(new byte[] {'G', 'G', 'U'}, "truncated file: magic");
        assertRejected(new RawGguf().raw("GGML".getBytes()).u32(3).u64(0).u64(0), "not a GGUF file: magic");
        assertRejected(new RawGguf().raw("GGUF".getBytes()), "truncated file: version");
        assertRejected(RawGguf.header(0, 0, 0), "invalid GGUF version 0");
        assertRejected(RawGguf.header(1, 0, 0), "GGUF version 1 is not supported");
        assertRejected(RawGguf.header(4, 0, 0), "GGUF version 4 is newer");
        assertRejected(RawGguf.header(0x03000000, 0, 0), "looks byte-swapped");
    }

    @Test
    void absurdCountsAndLengths() throws IOException {
        assertRejected(RawGguf.header(3, -1, 0), "tensor count 18446744073709551615");
        assertRejected(RawGguf.header(3, 1L << 40, 0), "cannot fit in the remaining");
        assertRejected(RawGguf.header(3, 0, 1L << 40), "metadata KV count");
        assertRejected(RawGguf.header(3, 0, 1).u64(1L << 40).raw(new byte[20]), "has length 1099511627776");
        assertRejected(RawGguf.header(3, 0, 1).u64(100).raw(new byte[20]), "truncated file: metadata key #0 needs 100");
        assertRejected(RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.STRING.code).u64(-5).raw(new byte[20]),
                "more than the limit");
        RawGguf hugeArray = RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.code).u32(U32).u64(1L << 40);
        assertRejected(hugeArray, "more than the limit of 16777216");
        assertRejected(RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.code).u32(U32).u64(1000).zeros(64),
                "declares 1000 u32 elements but only 64 bytes remain");
        // Strings count at least their 8-byte length.
        assertRejected(RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.code)
                .u32(GgufValueType.STRING.code).u64(10).zeros(79), "declares 10 string elements");
    }

    @Test
    void valueTypes() throws IOException {
        assertRejected(RawGguf.header(3, 0, 1).str("k").u32(13).u32(0), "unknown value type 13 for key 'k'");
        assertRejected(RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.code).u32(99).u64(0),
                "unknown array element type 99");
        assertRejected(RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.code)
                .u32(GgufValueType.ARRAY.code).u64(0), "nested arrays are not supported: key 'k'");
        assertRejected(RawGguf.header(3, 0, 1).str("k").u32(U32).u8(1), "truncated file: value of key 'k'");
        assertRejected(RawGguf.header(3, 0, 1).u64(2).raw(new byte[] {(byte) 0xC3, 0x28}).u32(U32).u32(1),
                "not valid UTF-8");
    }

    @Test
    void keysAndAlignment() throws IOException {
        assertRejected(RawGguf.header(3, 0, 1).str("").u32(U32).u32(1), "empty metadata key");
        assertRejected(RawGguf.header(3, 0, 2).kvU32("a.b", 1).kvU32("a.b", 2), "duplicate metadata key 'a.b'");
        assertRejected(RawGguf.header(3, 0, 1).str("general.alignment").u32(GgufValueType.INT32.code).u32(32),
                "general.alignment must be a u32, not i32");
        assertRejected(RawGguf.header(3, 0, 1).kvU32("general.alignment", 0), "general.alignment = 0 is not a power");
        assertRejected(RawGguf.header(3, 0, 1).kvU32("general.alignment", 48), "general.alignment = 48 is not a power");
    }

    @Test
    void tensorInfos() throws IOException {
        assertRejected(RawGguf.header(3, 2, 0).tensor("t", F32, 0, 8).tensor("t", F32, 32, 8).pad(32).zeros(64),
                "duplicate tensor 't'");
        assertRejected(oneTensor("x".repeat(128), F32, 0, 8).zeros(32), "tensor name is 128 bytes long, more than 127");
        assertRejected(oneTensor("", F32, 0, 8).zeros(32), "empty tensor name");
        assertRejected(oneTensor("t", F32, 0, 1, 1, 1, 1, 1, 1), "has n_dims 6, expected 1 to 5");
        assertRejected(oneTensor("t", F32, 0), "has n_dims 0");
        assertRejected(RawGguf.header(3, 1, 0).str("t").u32(-1).zeros(64), "has n_dims 4294967295");
        assertRejected(oneTensor("t", F32, 0, 4, -2), "negative dimension -2");
        assertRejected(oneTensor("t", F32, 0, 1L << 32, 1L << 32), "element count overflows");
        assertRejected(oneTensor("t", F32, 0, 1L << 62), "byte size overflows");
        assertRejected(oneTensor("t", 4, 0, 32), "unknown or removed ggml type id 4");
        assertRejected(oneTensor("t", 99, 0, 32), "unknown or removed ggml type id 99");
        assertRejected(oneTensor("t", GgmlType.Q4_0.id, 0, 16, 2), "ne0=16 is not a multiple of Q4_0's block size 32");
        assertRejected(RawGguf.header(3, 1, 0).str("t").u32(5).u64(8).u64(8).u64(8),
                "truncated file: tensor 't' (info at offset 24) dim 3 needs 8 bytes at offset 61 but only 0 remain");
    }

    @Test
    void offsetsAndDataBounds() throws IOException {
        assertRejected(oneTensor("t", F32, 32, 8).zeros(64), "tensor 't' (info at offset 24) has data offset 32, expected 0");
        // The second tensor must start at align_up(4 * 3) = 32, not right after the first one.
        assertRejected(RawGguf.header(3, 2, 0).tensor("a", F32, 0, 3).tensor("b", F32, 12, 3).pad(32).zeros(64),
                "tensor 'b' (info at offset 57) has data offset 12, expected 32");
        assertRejected(oneTensor("t", F32, 0, 8, 2).zeros(63), "extends past the end of the file");
        // Missing padding after the last tensor is tolerated, as llama.cpp's loader does.
        Path unpadded = oneTensor("t", F32, 0, 3).zeros(12).write(dir.resolve("unpadded.gguf"));
        GgufFile.open(unpadded).close();
        // A custom alignment changes where the data section starts.
        RawGguf aligned = RawGguf.header(3, 1, 1).kvU32("general.alignment", 256).tensor("t", F32, 0, 2);
        Path file = aligned.pad(256).zeros(8).write(dir.resolve("a256.gguf"));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(256, gguf.dataOffset());
        }
    }

    private Path validFile() throws IOException {
        Map<String, GgufValue> metadata = new LinkedHashMap<>(GgufTestFiles.everyValueType());
        Path file = dir.resolve("valid.gguf");
        GgufTestFiles.write(file, metadata, GgufTestFiles.smallTensors(), 1 << 20);
        return file;
    }

    @Test
    void truncationAtEveryBytePosition() throws IOException {
        Path valid = validFile();
        byte[] bytes = Files.readAllBytes(valid);
        long dataEnd;
        try (GgufFile gguf = GgufFile.open(valid)) {
            TensorInfo last = gguf.tensors().getLast();
            dataEnd = gguf.dataOffset() + last.offset() + last.byteSize();
        }
        Path cut = dir.resolve("cut.gguf");
        for (int n = 0; n < bytes.length; n++) {
            Files.write(cut, Arrays.copyOf(bytes, n));
            if (n >= dataEnd) {
                GgufFile.open(cut).close(); // only trailing padding is missing
                continue;
            }
            try {
                GgufFile.open(cut).close();
                fail("a file cut at " + n + " of " + bytes.length + " bytes was accepted");
            } catch (GgufFormatException expected) {
                // the point of the test
            }
        }
    }

    @Test
    void randomHeaderCorruptionNeverEscapesAsAnotherException() throws IOException {
        byte[] bytes = Files.readAllBytes(validFile());
        int headerEnd;
        try (GgufFile gguf = GgufFile.open(dir.resolve("valid.gguf"))) {
            headerEnd = (int) gguf.dataOffset();
        }
        SplittableRandom random = new SplittableRandom(42);
        Path broken = dir.resolve("broken.gguf");
        int rejected = 0;
        for (int round = 0; round < 3000; round++) {
            byte[] copy = bytes.clone();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                int at = random.nextInt(headerEnd);
                copy[at] = switch (random.nextInt(3)) {
                    case 0 -> (byte) (copy[at] ^ (1 << random.nextInt(8)));
                    case 1 -> (byte) 0xFF;
                    default -> (byte) random.nextInt(256);
                };
            }
            Files.write(broken, copy);
            try (GgufFile gguf = GgufFile.open(broken)) {
                // Accepted corruptions (e.g. inside a string value) must still describe readable tensors.
                for (TensorInfo t : gguf.tensors()) gguf.data(t);
            } catch (GgufFormatException expected) {
                rejected++;
            }
        }
        assertTrue(rejected > 1000, "only " + rejected + " of 3000 corruptions were detected");
    }

    @Test
    void nonGgufFilesAreRejected() throws IOException {
        assertRejected("{\"not\": \"gguf\"}".getBytes(), "not a GGUF file");
        byte[] random = new byte[4096];
        new SplittableRandom(1).nextBytes(random);
        assertRejected(random, "not a GGUF file");
        assertThrows(IOException.class, () -> GgufFile.open(dir.resolve("missing.gguf")));
    }
}
