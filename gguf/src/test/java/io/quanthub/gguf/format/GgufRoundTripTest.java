package io.quanthub.gguf.format;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.quant.Quants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void everyValueTypeAndTensorTypeRoundTrips() throws IOException {
        List<TensorSpec> tensors = new ArrayList<>();
        int i = 0;
        for (GgmlType type : Quants.supported()) {
            // 1-D to 4-D, rows of two blocks.
            long ne0 = 2L * type.blockSize;
            long[] dims = switch (i++ % 4) {
                case 0 -> new long[] {ne0};
                case 1 -> new long[] {ne0, 3};
                case 2 -> new long[] {ne0, 2, 3};
                default -> new long[] {ne0, 1, 2, 2};
            };
            tensors.add(TensorSpec.of("t." + type.ggmlName, type, dims));
        }
        tensors.add(new TensorSpec("conv3d.weight", new long[] {2, 2, 3, 4, 5}, GgmlType.F32)); // ComfyUI 5-D
        tensors.add(TensorSpec.of("raw.i32", GgmlType.I32, 7));
        Path file = dir.resolve("all.gguf");
        Map<String, GgufValue> metadata = GgufTestFiles.everyValueType();
        GgufLayout layout = GgufTestFiles.write(file, metadata, tensors, 100);

        assertEquals(layout.fileSize(), Files.size(file));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(3, gguf.version());
            assertEquals(32, gguf.alignment());
            assertEquals(List.copyOf(metadata.keySet()), List.copyOf(gguf.metadata().keySet()));
            assertEquals(metadata, gguf.metadata());
            assertEquals("18446744073709551615", gguf.metadata().get("test.u64").toString());
            assertEquals(layout.dataOffset(), gguf.dataOffset());
            assertEquals(layout.tensors(), gguf.tensors());
            for (TensorSpec t : tensors) {
                TensorInfo info = gguf.tensor(t.name());
                assertEquals(t, info.spec());
                assertEquals(0, gguf.dataOffset() % 32);
                assertEquals(0, info.offset() % 32);
                assertArrayEquals(GgufTestFiles.tensorBytes(t), gguf.data(info).toArray(ValueLayout.JAVA_BYTE),
                        t.name());
            }
            TensorInfo conv = gguf.tensor("conv3d.weight");
            assertArrayEquals(new long[] {5, 4, 3, 2, 2}, conv.shape());
            assertEquals(2 * 2 * 3 * 4 * 5, conv.elementCount());
            assertEquals(2, conv.rowLength());
            assertEquals(120, conv.rowCount());
            assertEquals(960, conv.byteSize());
            assertNull(gguf.tensor("missing"));
        }
    }

    @Test
    void customAlignmentPadsHeaderAndEveryTensor() throws IOException {
        for (long alignment : new long[] {1, 8, 64, 4096}) {
            Map<String, GgufValue> metadata = new LinkedHashMap<>();
            metadata.put("general.alignment", GgufValue.u32(alignment));
            List<TensorSpec> tensors = List.of(TensorSpec.of("x", GgmlType.F16, 3), TensorSpec.of("y", GgmlType.F32, 5));
            Path file = dir.resolve("align" + alignment + ".gguf");
            GgufLayout layout = GgufTestFiles.write(file, metadata, tensors, 1);
            assertEquals(alignment, layout.alignment());
            long align = alignment;
            long pad6 = (6 + align - 1) / align * align;
            assertEquals(pad6, layout.tensors().get(1).offset());
            assertEquals(layout.dataOffset() + pad6 + (20 + align - 1) / align * align, Files.size(file));
            try (GgufFile gguf = GgufFile.open(file)) {
                assertEquals(alignment, gguf.alignment());
                assertEquals(0, gguf.dataOffset() % alignment);
                assertEquals(layout.tensors(), gguf.tensors());
            }
        }
    }

    @Test
    void zeroTensorsAndZeroKvs() throws IOException {
        Path file = dir.resolve("empty.gguf");
        GgufLayout layout = GgufTestFiles.write(file, Map.of(), List.of(), 1);
        // magic + version + two counts = 24 bytes, padded to 32 as ggml's writer does.
        assertEquals(24, layout.headerSize());
        assertEquals(32, Files.size(file));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertTrue(gguf.metadata().isEmpty());
            assertTrue(gguf.tensors().isEmpty());
        }
    }

    @Test
    void ggmlDimCountDropsTrailingOnesUnlessDimsAreGivenExplicitly() throws IOException {
        TensorSpec implicit = TensorSpec.of("mod", GgmlType.F32, 64, 1, 1);
        TensorSpec torch = TensorSpec.ofTorchShape("torch", GgmlType.F32, 1, 1, 64);
        TensorSpec forced = new TensorSpec("pos_embed", new long[] {64, 4, 1}, GgmlType.F32); // compat §4.3
        TensorSpec scalar = TensorSpec.ofTorchShape("scalar", GgmlType.F32);
        assertEquals(1, implicit.dims().length);
        assertArrayEquals(new long[] {64}, torch.dims());
        assertArrayEquals(new long[] {1}, scalar.dims());
        Path file = dir.resolve("dims.gguf");
        GgufTestFiles.write(file, Map.of(), List.of(implicit, torch, forced, scalar), 1 << 20);
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(1, gguf.tensor("mod").nDims());
            assertEquals(3, gguf.tensor("pos_embed").nDims());
            assertArrayEquals(new long[] {1, 4, 64}, gguf.tensor("pos_embed").shape());
            assertEquals(1, gguf.tensor("pos_embed").ne(3));
        }
    }

    @Test
    void writerEnforcesExactTensorSizes() throws IOException {
        List<TensorSpec> tensors = List.of(TensorSpec.of("a", GgmlType.F32, 4), TensorSpec.of("empty", GgmlType.F32, 0),
                TensorSpec.of("b", GgmlType.F16, 2));
        Path file = dir.resolve("w.gguf");
        GgufWriter w = GgufWriter.create(file, Map.of(), tensors);
        assertEquals("a", w.currentTensor().name());
        IllegalStateException overrun = assertThrows(IllegalStateException.class, () -> w.writeTensorData(new byte[17]));
        assertTrue(overrun.getMessage().contains("overruns tensor 'a'"), overrun.getMessage());
        w.writeTensorData(new byte[16]);
        assertEquals("b", w.currentTensor().name()); // the empty tensor is skipped
        w.writeTensorData(new byte[3]);
        IllegalStateException incomplete = assertThrows(IllegalStateException.class, w::close);
        assertTrue(incomplete.getMessage().contains("tensor 'b' got 3 of 4 bytes"), incomplete.getMessage());

        try (GgufWriter w2 = GgufWriter.create(file, Map.of(), tensors)) {
            w2.writeTensorData(new byte[16]);
            w2.writeTensorData(new byte[4]);
            assertNull(w2.currentTensor());
            assertThrows(IllegalStateException.class, () -> w2.writeTensorData(new byte[1]));
        }
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(3, gguf.tensors().size());
            assertEquals(0, gguf.data(gguf.tensor("empty")).byteSize());
        }
    }

    @Test
    void layoutRejectsWhatNoReaderCouldRead() {
        assertThrows(IllegalArgumentException.class, () -> GgufLayout.compute(Map.of(),
                List.of(TensorSpec.of("x", GgmlType.F32, 1), TensorSpec.of("x", GgmlType.F16, 1))));
        assertThrows(IllegalArgumentException.class, () -> GgufLayout.compute(
                Map.of("general.alignment", GgufValue.i32(32)), List.of()));
        assertThrows(IllegalArgumentException.class, () -> GgufLayout.compute(
                Map.of("general.alignment", GgufValue.u32(48)), List.of()));
        assertThrows(IllegalArgumentException.class, () -> TensorSpec.of("x".repeat(128), GgmlType.F32, 1));
        TensorSpec.of("x".repeat(127), GgmlType.F32, 1);
        assertThrows(IllegalArgumentException.class, () -> TensorSpec.of("q", GgmlType.Q4_K, 100));
        assertThrows(IllegalArgumentException.class,
                () -> new TensorSpec("six", new long[] {1, 2, 3, 4, 5, 6}, GgmlType.F32));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue.Arr(GgufValueType.ARRAY, List.of()));
    }
}
