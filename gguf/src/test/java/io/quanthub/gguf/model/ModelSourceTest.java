package io.quanthub.gguf.model;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.GgufWriter;
import io.quanthub.gguf.format.TensorSpec;
import io.quanthub.gguf.quant.Numerics;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsFormatException;
import io.quanthub.gguf.safetensors.SafetensorsTestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelSourceTest {
    @TempDir
    Path dir;

    /** n BF16 values i * 0.5 for i in [start, start + n). */
    private static byte[] bf16Ramp(int start, int n) {
        ByteBuffer b = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putShort(Numerics.fp32ToBf16((start + i) * 0.5f));
        return b.array();
    }

    private static float[] read(SourceTensor t) {
        float[] out = new float[Math.toIntExact(t.elementCount())];
        t.readFloats(0, out, 0, out.length);
        return out;
    }

    @Test
    void singleSafetensorsFile() throws IOException {
        Path file = new SafetensorsTestFiles().metadata(Map.of("modelspec.title", "tiny"))
                .tensor("w", "BF16", new long[] {4, 8}, bf16Ramp(0, 32))
                .tensor("ids", "I64", new long[] {2}, new byte[16])
                .write(dir.resolve("m.safetensors"));
        try (ModelSource src = ModelSource.open(file)) {
            assertEquals(ModelSource.Format.SAFETENSORS, src.format());
            assertEquals(Map.of("modelspec.title", "tiny"), src.metadata());
            SourceTensor w = src.tensor("w");
            assertEquals(Dtype.BF16, w.dtype());
            assertArrayEquals(new long[] {4, 8}, w.shape());
            float[] part = new float[5];
            w.readFloats(10, part, 0, 5);
            assertArrayEquals(new float[] {5f, 5.5f, 6f, 6.5f, 7f}, part);
            assertThrows(IndexOutOfBoundsException.class, () -> w.readFloats(30, new float[5], 0, 5));
            assertThrows(IndexOutOfBoundsException.class, () -> w.readFloats(0, new float[5], 2, 5));
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> read(src.tensor("ids")));
            assertTrue(e.getMessage().contains("tensor 'ids' has dtype I64, which cannot be converted"));
        }
    }

    @Test
    void concurrentReadsOfDifferentRanges() throws Exception {
        int n = 1 << 16;
        Path file = new SafetensorsTestFiles().tensor("big", "BF16", new long[] {n}, bf16Ramp(0, n))
                .write(dir.resolve("big.safetensors"));
        try (ModelSource src = ModelSource.open(file); ExecutorService pool = Executors.newFixedThreadPool(4)) {
            SourceTensor big = src.tensor("big");
            List<Future<float[]>> parts = new ArrayList<>();
            int chunk = n / 16;
            for (int c = 0; c < 16; c++) {
                int first = c * chunk;
                parts.add(pool.submit(() -> {
                    float[] out = new float[chunk];
                    big.readFloats(first, out, 0, chunk);
                    return out;
                }));
            }
            for (int c = 0; c < 16; c++) {
                float[] got = parts.get(c).get();
                for (int i = 0; i < chunk; i++) {
                    assertEquals(Numerics.bf16ToFp32(Numerics.fp32ToBf16((c * chunk + i) * 0.5f)), got[i]);
                }
            }
        }
    }

    private Path shards(Path shardDir) throws IOException {
        Files.createDirectories(shardDir);
        new SafetensorsTestFiles().metadata(Map.of("format", "pt"))
                .tensor("a.weight", "F16", new long[] {2}, new byte[] {0, 0x3C, 0, 0x40})
                .tensor("b.weight", "F32", new long[] {1}, new byte[] {0, 0, (byte) 0x80, 0x3F})
                .write(shardDir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsTestFiles()
                .tensor("c.weight", "F8_E4M3", new long[] {1, 2}, new byte[] {0x38, (byte) 0xB8})
                .write(shardDir.resolve("model-00002-of-00002.safetensors"));
        return shardDir;
    }

    @Test
    void shardIndexAndDirectoryOfShards() throws IOException {
        Path plain = shards(dir.resolve("plain"));
        try (ModelSource src = ModelSource.open(plain)) {
            assertEquals(List.of("a.weight", "b.weight", "c.weight"),
                    src.tensors().stream().map(SourceTensor::name).toList());
            assertArrayEquals(new float[] {1f, 2f}, read(src.tensor("a.weight")));
            assertArrayEquals(new float[] {1f, -1f}, read(src.tensor("c.weight")));
            assertEquals("pt", src.metadata().get("format"));
        }

        Path indexed = shards(dir.resolve("indexed"));
        Path index = Files.writeString(indexed.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": 14},
                 "weight_map": {"a.weight": "model-00001-of-00002.safetensors",
                                "b.weight": "model-00001-of-00002.safetensors",
                                "c.weight": "model-00002-of-00002.safetensors"}}""");
        for (Path p : List.of(index, indexed)) {
            try (ModelSource src = ModelSource.open(p)) {
                assertEquals(3, src.tensors().size());
                assertEquals("14", src.metadata().get("total_size"));
                assertArrayEquals(new float[] {1f}, read(src.tensor("b.weight")));
            }
        }

        Files.writeString(index, """
                {"weight_map": {"a.weight": "model-00002-of-00002.safetensors"}}""");
        IOException wrongShard = assertThrows(SafetensorsFormatException.class, () -> ModelSource.open(index));
        assertTrue(wrongShard.getMessage().contains("puts tensor 'a.weight' in model-00002-of-00002.safetensors"));
        Files.writeString(index, """
                {"weight_map": {"a.weight": "../../etc/passwd"}}""");
        IOException traversal = assertThrows(SafetensorsFormatException.class, () -> ModelSource.open(index));
        assertTrue(traversal.getMessage().contains("is not a plain file name"), traversal.getMessage());
        Files.writeString(index, """
                {"weight_map": {"a.weight": "missing.safetensors"}}""");
        assertThrows(SafetensorsFormatException.class, () -> ModelSource.open(index));

        Path duplicate = shards(dir.resolve("dup"));
        Files.copy(duplicate.resolve("model-00002-of-00002.safetensors"), duplicate.resolve("extra.safetensors"));
        IOException dup = assertThrows(SafetensorsFormatException.class, () -> ModelSource.open(duplicate));
        assertTrue(dup.getMessage().contains("tensor 'c.weight' is in both"), dup.getMessage());

        Files.createDirectories(dir.resolve("empty"));
        assertThrows(SafetensorsFormatException.class, () -> ModelSource.open(dir.resolve("empty")));
    }

    @Test
    void pickleCheckpointsAreRefusedUnread() throws IOException {
        List<Path> refused = new ArrayList<>();
        for (String name : List.of("model.ckpt", "model.pt", "model.pth", "pytorch_model.bin")) {
            refused.add(Files.writeString(dir.resolve(name), "anything"));
        }
        refused.add(Files.write(dir.resolve("disguised.safetensors"), new byte[] {(byte) 0x80, 2, 'c', '_'}));
        refused.add(Files.write(dir.resolve("zipped"), new byte[] {'P', 'K', 3, 4, 0, 0}));
        Path pickleDir = Files.createDirectories(dir.resolve("hf"));
        Files.writeString(pickleDir.resolve("pytorch_model.bin"), "x");
        refused.add(pickleDir);
        for (Path p : refused) {
            IOException e = assertThrows(IOException.class, () -> ModelSource.open(p), p.toString());
            assertTrue(e.getMessage().contains("unpickling can execute arbitrary code"), e.getMessage());
            assertTrue(e.getMessage().contains("torch.load(path, map_location='cpu', weights_only=True)"));
            assertTrue(e.getMessage().contains("safetensors.torch.save_file"));
        }
        assertThrows(IOException.class, () -> ModelSource.open(Files.writeString(dir.resolve("notes.txt"), "hi")));
        assertThrows(IOException.class, () -> ModelSource.open(dir.resolve("missing.safetensors")));
    }

    @Test
    void ggufSource() throws IOException {
        Path file = dir.resolve("f16.gguf");
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("general.architecture", GgufValue.of("flux"));
        metadata.put("general.file_type", GgufValue.u32(1));
        List<TensorSpec> tensors = List.of(
                TensorSpec.ofTorchShape("w", GgmlType.F16, 2, 3),
                TensorSpec.ofTorchShape("b", GgmlType.F32, 3),
                TensorSpec.ofTorchShape("s", GgmlType.BF16, 2));
        ByteBuffer f16 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) f16.putShort(Numerics.fp32ToFp16(i - 2.5f));
        try (GgufWriter w = GgufWriter.create(file, metadata, tensors)) {
            w.writeTensorData(f16.array());
            w.writeTensorData(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3).array());
            w.writeTensorData(bf16Ramp(1, 2));
        }
        try (ModelSource src = ModelSource.open(file)) {
            assertEquals(ModelSource.Format.GGUF, src.format());
            assertEquals("flux", src.metadata().get("general.architecture"));
            assertEquals("1", src.metadata().get("general.file_type"));
            SourceTensor w = src.tensor("w");
            assertArrayEquals(new long[] {2, 3}, w.shape()); // PyTorch order again
            assertEquals(Dtype.F16, w.dtype());
            assertArrayEquals(new float[] {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}, read(w));
            assertArrayEquals(new float[] {1f, 2f, 3f}, read(src.tensor("b")));
            assertArrayEquals(new float[] {0.5f, 1f}, read(src.tensor("s")));
        }

        Path quantized = dir.resolve("q.gguf");
        try (GgufWriter w = GgufWriter.create(quantized, metadata,
                List.of(TensorSpec.of("blk.weight", GgmlType.Q4_K, 256)))) {
            w.writeTensorData(new byte[144]);
        }
        IOException e = assertThrows(IOException.class, () -> ModelSource.open(quantized));
        assertEquals("requantizing Q4_K (tensor 'blk.weight' in q.gguf) is not supported; convert from the F16/BF16"
                + " source", e.getMessage());
    }

    @Test
    void realFluxTinyModel() throws IOException {
        Path model = Path.of(System.getProperty("quanthub.testdata", "/work/shared/testdata"), "flux-tiny",
                "model.safetensors");
        try (ModelSource src = ModelSource.open(model)) {
            assertEquals(84, src.tensors().size());
            long total = 0;
            for (SourceTensor t : src.tensors()) {
                float[] values = read(t);
                for (float v : values) assertTrue(Float.isFinite(v), t.name());
                total += values.length;
            }
            assertTrue(total > 400_000, "elements: " + total);
        }
    }
}
