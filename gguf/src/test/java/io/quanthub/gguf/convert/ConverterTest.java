package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.model.SourceTensor;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.gguf.reference.GgmlLibrary;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.synthetic.SyntheticTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end: real safetensors files in, GGUF files out, every tensor's bytes compared with ggml's own
 * {@code ggml_quantize_chunk} on the same source values, and the file read back by our reader and by ggml's.
 */
class ConverterTest {
    private static GgmlLibrary ggml;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadGgml() {
        ggml = GgmlLibrary.load();
    }

    /** A small flux-shaped model plus a V, an FFN-down and an odd-row tensor, so every rule group is exercised. */
    private static List<SyntheticTensor> fluxPlus(Dtype dtype) {
        List<SyntheticTensor> s = new ArrayList<>(ModelFixtures.flux(256, 2, 1, dtype));
        s.add(new SyntheticTensor("extra.0.attn.to_v.weight", dtype, 256, 256));
        s.add(new SyntheticTensor("extra.0.ffn_down.weight", dtype, 256, 512));
        s.add(new SyntheticTensor("extra.odd.weight", dtype, 64, 320));
        return s;
    }

    private static void assumeWritable(ConversionPlan plan) {
        for (TensorPlan t : plan.tensors()) {
            assumeTrue(Quants.supports(t.type()), "quantizer for " + t.type() + " not available yet");
        }
    }

    private ConversionSummary convert(Path source, QuantLevel level, Path out, int threads) throws IOException {
        try (ModelSource model = ModelSource.open(source)) {
            ConversionPlan plan = ConversionPlan.of(model, level);
            assumeWritable(plan);
            return new Converter(threads, false).write(plan, out, Converter.ProgressListener.NONE);
        }
    }

    @ParameterizedTest
    @EnumSource(QuantLevel.class)
    void everyLevelMatchesGgmlTensorByTensor(QuantLevel level) throws Throwable {
        Path src = ModelFixtures.write(dir.resolve("flux.safetensors"), fluxPlus(Dtype.BF16), 1);
        Path out = dir.resolve("flux-" + level + ".gguf");
        List<Converter.Progress> progress = new ArrayList<>();
        ConversionSummary summary;
        try (ModelSource model = ModelSource.open(src)) {
            ConversionPlan plan = ConversionPlan.of(model, level);
            assumeWritable(plan);
            summary = new Converter(2, false).write(plan, out, progress::add);
            assertEquals(plan.layout().fileSize(), Files.size(out));
            assertEquals(Files.size(out), summary.fileSize());
            verifyAgainstGgml(plan, out);
            assertAcceptedByGgml(out, plan.tensors().size());

            Converter.Progress last = progress.getLast();
            assertEquals(new Converter.Progress(plan.tensors().size(), plan.tensors().size(), plan.dataBytes(),
                    plan.dataBytes()), last);
        }
        assertEquals(Architecture.FLUX, summary.architecture());
        assertEquals(summary.tensorCount(), summary.types().stream().mapToInt(ConversionSummary.TypeTotal::tensors).sum());
        if (level.isUnquantized()) {
            assertEquals(level == QuantLevel.F32 ? 32.0 : 16.0, summary.bitsPerWeight(), 1e-9);
        } else {
            assertTrue(summary.bitsPerWeight() > 2 && summary.bitsPerWeight() < 16.1, "bpw " + summary.bitsPerWeight());
        }
        assertNoTemporaryFiles(dir);
    }

    @Test
    void f32SourceIsQuantizedFromConvertPysF16Copy() throws Exception {
        Path src = ModelFixtures.write(dir.resolve("flux32.safetensors"), ModelFixtures.flux(256, 1, 1, Dtype.F32), 7);
        for (QuantLevel level : List.of(QuantLevel.Q8_0, QuantLevel.Q4_K_M, QuantLevel.F16)) {
            Path out = dir.resolve("flux32-" + level + ".gguf");
            convert(src, level, out, 2);
            try (ModelSource model = ModelSource.open(src)) {
                ConversionPlan plan = ConversionPlan.of(model, level);
                assertEquals(GgmlType.F16,
                        plan.tensors().stream().filter(t -> t.name().equals("single_blocks.0.linear1.weight"))
                                .findFirst().orElseThrow().intermediate());
                verifyAgainstGgml(plan, out);
            }
        }
    }

    @Test
    void outputIsIdenticalForOneAndFourThreads() throws Exception {
        Path src = ModelFixtures.write(dir.resolve("flux.safetensors"), fluxPlus(Dtype.BF16), 3);
        Path one = dir.resolve("one.gguf");
        Path four = dir.resolve("four.gguf");
        convert(src, QuantLevel.Q4_K_M, one, 1);
        convert(src, QuantLevel.Q4_K_M, four, 4);
        assertEquals(-1, Files.mismatch(one, four));
    }

    @Test
    void fluxTinyTestModelConvertsToSeveralLevels() throws Throwable {
        Path src = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
                "flux-tiny", "model.safetensors");
        assumeTrue(Files.isRegularFile(src), "test data not found at " + src);
        for (QuantLevel level : List.of(QuantLevel.Q8_0, QuantLevel.Q4_K_S, QuantLevel.Q4_0, QuantLevel.Q5_1,
                QuantLevel.F16, QuantLevel.BF16)) {
            Path out = dir.resolve("flux-tiny-" + level + ".gguf");
            try (ModelSource model = ModelSource.open(src)) {
                ConversionPlan plan = ConversionPlan.of(model, level);
                assumeWritable(plan);
                ConversionSummary s = Converter.allCores().write(plan, out, Converter.ProgressListener.NONE);
                assertEquals(84, s.tensorCount());
                verifyAgainstGgml(plan, out);
                assertAcceptedByGgml(out, 84);
            }
        }
    }

    @Test
    void sdShapeFixAndOrigShapeRoundTrip() throws Exception {
        List<SyntheticTensor> sd1 = List.of(
                new SyntheticTensor("down_blocks.0.downsamplers.0.conv.weight", Dtype.BF16, 32, 32, 3, 3),
                new SyntheticTensor("down_blocks.0.downsamplers.0.conv.bias", Dtype.BF16, 32),
                new SyntheticTensor("conv_in.weight", Dtype.BF16, 32, 4, 3, 3));
        Path src = ModelFixtures.write(dir.resolve("sd1.safetensors"), sd1, 11);
        Path q = dir.resolve("sd1-Q4_K_S.gguf");
        convert(src, QuantLevel.Q4_K_S, q, 2);
        try (ModelSource model = ModelSource.open(src); GgufFile f = GgufFile.open(q)) {
            verifyAgainstGgml(ConversionPlan.of(model, QuantLevel.Q4_K_S), q);
            assertEquals(GgufValue.ofInts(32, 32, 3, 3),
                    f.metadata().get("comfy.gguf.orig_shape.down_blocks.0.downsamplers.0.conv.weight"));
            TensorInfo conv = f.tensor("down_blocks.0.downsamplers.0.conv.weight");
            assertEquals(GgmlType.Q4_K, conv.type());
            assertArrayEquals(new long[] {256, 36}, conv.dims());
        }

        // Requantizing convert.py-style output restores the logical shape from the metadata: same plan, same file.
        Path f16 = dir.resolve("sd1-F16.gguf");
        convert(src, QuantLevel.BF16, f16, 2);
        Path again = dir.resolve("sd1-again-Q4_K_S.gguf");
        convert(f16, QuantLevel.Q4_K_S, again, 2);
        assertEquals(-1, Files.mismatch(q, again));
    }

    @Test
    void wanFiveDimensionalTensorIsWrittenAsF32() throws Exception {
        List<SyntheticTensor> wan = List.of(new SyntheticTensor("patch_embedding.weight", Dtype.BF16, 64, 16, 1, 2, 2),
                new SyntheticTensor("patch_embedding.bias", Dtype.BF16, 64),
                new SyntheticTensor("blocks.0.self_attn.norm_q.weight", Dtype.BF16, 64),
                new SyntheticTensor("blocks.0.modulation", Dtype.BF16, 1, 6, 64),
                new SyntheticTensor("blocks.0.self_attn.v.weight", Dtype.BF16, 256, 256),
                new SyntheticTensor("text_embedding.2.weight", Dtype.BF16, 64, 64),
                new SyntheticTensor("head.modulation", Dtype.BF16, 1, 2, 64));
        Path src = ModelFixtures.write(dir.resolve("wan.safetensors"), wan, 5);
        Path out = dir.resolve("wan-Q8_0.gguf");
        convert(src, QuantLevel.Q8_0, out, 2);
        try (ModelSource model = ModelSource.open(src); GgufFile f = GgufFile.open(out)) {
            verifyAgainstGgml(ConversionPlan.of(model, QuantLevel.Q8_0), out);
            TensorInfo conv = f.tensor("patch_embedding.weight");
            assertEquals(GgmlType.F32, conv.type());
            assertArrayEquals(new long[] {2, 2, 1, 16, 64}, conv.dims());
            assertEquals(f.tensors().indexOf(f.tensor("patch_embedding.bias")) + 1, f.tensors().indexOf(conv));
            assertArrayEquals(new long[] {64, 6, 1}, f.tensor("blocks.0.modulation").dims());
        }
    }

    @Test
    void existingOutputIsRefusedUnlessOverwriting() throws Exception {
        Path src = ModelFixtures.write(dir.resolve("flux.safetensors"), ModelFixtures.flux(256, 1, 1, Dtype.BF16), 1);
        Path out = Files.writeString(dir.resolve("taken.gguf"), "precious");
        assertThrows(FileAlreadyExistsException.class, () -> convert(src, QuantLevel.Q8_0, out, 2));
        assertEquals("precious", Files.readString(out));
        try (ModelSource model = ModelSource.open(src)) {
            new Converter(2, true).write(ConversionPlan.of(model, QuantLevel.Q8_0), out,
                    Converter.ProgressListener.NONE);
        }
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(new GgufValue.U32(7), f.metadata().get("general.file_type"));
        }
        assertNoTemporaryFiles(dir);
    }

    @Test
    void failureWhileReadingLeavesNoFile() throws Exception {
        Path src = ModelFixtures.write(dir.resolve("flux.safetensors"), ModelFixtures.flux(256, 1, 1, Dtype.BF16), 1);
        Path outDir = Files.createDirectory(dir.resolve("out"));
        try (ModelSource model = ModelSource.open(src)) {
            // A read error (as from a failing disk) in the middle of the largest tensor.
            List<SourceTensor> failing = model.tensors().stream().<SourceTensor>map(t ->
                    t.name().equals("single_blocks.0.linear1.weight") ? new FailingTensor(t, t.elementCount() / 2) : t)
                    .toList();
            ConversionPlan plan = ConversionPlan.of(failing, Map.of(), QuantLevel.Q8_0);
            ConversionException e = assertThrows(ConversionException.class, () ->
                    new Converter(2, false).write(plan, outDir.resolve("x.gguf"), Converter.ProgressListener.NONE));
            assertTrue(e.getMessage().contains("single_blocks.0.linear1.weight")
                    && e.getMessage().contains("simulated read error"), e.getMessage());
        }
        try (Stream<Path> left = Files.list(outDir)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void nonFiniteWeightsAreRefusedByName() throws Exception {
        Path src = ModelFixtures.write(dir.resolve("flux.safetensors"), ModelFixtures.flux(256, 1, 1, Dtype.BF16), 1);
        Path outDir = Files.createDirectory(dir.resolve("out"));
        try (ModelSource model = ModelSource.open(src)) {
            for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY}) {
                List<SourceTensor> poisoned = model.tensors().stream().<SourceTensor>map(t ->
                        t.name().equals("single_blocks.0.linear1.weight") ? new PoisonedTensor(t, 1000, bad) : t)
                        .toList();
                ConversionPlan plan = ConversionPlan.of(poisoned, Map.of(), QuantLevel.Q4_K_S);
                ConversionException e = assertThrows(ConversionException.class, () ->
                        new Converter(2, false).write(plan, outDir.resolve("x.gguf"), Converter.ProgressListener.NONE));
                assertTrue(e.getMessage().contains("single_blocks.0.linear1.weight")
                        && e.getMessage().contains(bad + " at element 1000"), e.getMessage());
            }
        }
        try (Stream<Path> left = Files.list(outDir)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void failureAtTheFinalRenameLeavesNoTemporaryFile() throws Exception {
        Path src = ModelFixtures.write(dir.resolve("flux.safetensors"), ModelFixtures.flux(256, 1, 1, Dtype.BF16), 1);
        Path outDir = Files.createDirectory(dir.resolve("out"));
        Path blocked = Files.createDirectory(outDir.resolve("model.gguf"));
        Files.writeString(blocked.resolve("keep.txt"), "x");
        try (ModelSource model = ModelSource.open(src)) {
            ConversionPlan plan = ConversionPlan.of(model, QuantLevel.Q8_0);
            assertThrows(IOException.class, () ->
                    new Converter(2, true).write(plan, blocked, Converter.ProgressListener.NONE));
        }
        try (Stream<Path> left = Files.list(outDir)) {
            assertEquals(List.of(blocked), left.toList());
        }
        assertEquals("x", Files.readString(blocked.resolve("keep.txt")));
    }

    @Test
    void interruptionStopsAndDeletesTheTemporaryFile() throws Exception {
        Path src = ModelFixtures.write(dir.resolve("flux.safetensors"), ModelFixtures.flux(256, 1, 1, Dtype.BF16), 1);
        Path outDir = Files.createDirectory(dir.resolve("out"));
        CountDownLatch reading = new CountDownLatch(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (ModelSource model = ModelSource.open(src)) {
            List<SourceTensor> blocking = model.tensors().stream().<SourceTensor>map(t ->
                    t.name().equals("img_in.weight") ? new BlockingTensor(t, reading) : t).toList();
            ConversionPlan plan = ConversionPlan.of(blocking, Map.of(), QuantLevel.Q8_0);
            Thread converting = new Thread(() -> {
                try {
                    new Converter(2, false).write(plan, outDir.resolve("x.gguf"), Converter.ProgressListener.NONE);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            converting.start();
            reading.await();
            try (Stream<Path> during = Files.list(outDir)) {
                List<Path> files = during.toList();
                assertEquals(1, files.size());
                assertTrue(files.getFirst().getFileName().toString().endsWith(".partial"), files.toString());
            }
            converting.interrupt();
            converting.join();
        }
        assertInstanceOf(InterruptedIOException.class, thrown.get());
        try (Stream<Path> left = Files.list(outDir)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void defaultOutputNameFollowsComfyUi() {
        assertEquals(dir.resolve("flux1-dev-Q4_K_S.gguf"),
                Converter.defaultOutput(dir.resolve("flux1-dev.safetensors"), QuantLevel.Q4_K_S));
        assertEquals(dir.resolve("model-Q8_0.gguf"),
                Converter.defaultOutput(dir.resolve("model.safetensors.index.json"), QuantLevel.Q8_0));
        assertEquals(dir.resolve("x-BF16-Q2_K.gguf"), Converter.defaultOutput(dir.resolve("x-BF16.gguf"), QuantLevel.Q2_K));
        assertEquals(dir.resolve("shards-F16.gguf"), Converter.defaultOutput(dir.resolve("shards"), QuantLevel.F16));
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Every output tensor equals ggml's quantization of the source values, after the rounding convert.py's storage
     * type implies (done by ggml too: quantize to F16/BF16 and dequantize back).
     */
    static void verifyAgainstGgml(ConversionPlan plan, Path out) throws IOException {
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(List.copyOf(plan.metadata().entrySet()), List.copyOf(f.metadata().entrySet()));
            assertEquals(plan.specs(), f.tensors().stream().map(TensorInfo::spec).toList());
            for (TensorPlan t : plan.tensors()) {
                int n = Math.toIntExact(t.elementCount());
                if (n == 0) continue;
                float[] values = new float[n];
                t.source().readFloats(0, values, 0, n);
                if (t.source().dtype() == Dtype.F32 && t.intermediate() != GgmlType.F32) {
                    values = ggml.dequantize(t.intermediate(), ggml.quantize(t.intermediate(), values, 1, n, null), n);
                }
                int rowLength = Math.toIntExact(t.rowLength());
                byte[] expected = ggml.quantize(t.type(), values, n / rowLength, rowLength, null);
                byte[] actual = f.data(f.tensor(t.name())).toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(expected, actual, t.name() + " " + t.type() + " (" + t.reason() + ")");
            }
        }
    }

    /** ggml's gguf_init_from_file accepts the file and sees every tensor (names below ggml's 64-byte limit). */
    static void assertAcceptedByGgml(Path file, int tensors) throws Throwable {
        MemorySegment ctx = ggml.ggufOpen(file);
        assertNotNull(ctx, "ggml rejected " + file);
        try {
            long n = (long) ggml.handle("gguf_get_n_tensors", FunctionDescriptor.of(JAVA_LONG, ADDRESS))
                    .invokeExact(ctx);
            assertEquals(tensors, n);
        } finally {
            ggml.ggufFree(ctx);
        }
    }

    static void assertNoTemporaryFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".partial")).toList());
        }
    }

    /** A real source tensor with one behaviour changed; everything but readFloats passes through. */
    private interface WrappedTensor extends SourceTensor {
        SourceTensor real();

        default String name() {
            return real().name();
        }

        default long[] shape() {
            return real().shape();
        }

        default Dtype dtype() {
            return real().dtype();
        }
    }

    /** A real source tensor whose reads fail from one element on, like a disk read error. */
    private record FailingTensor(SourceTensor real, long failFrom) implements WrappedTensor {
        public void readFloats(long firstElement, float[] dst, int dstOff, int count) {
            if (firstElement + count > failFrom) throw new java.io.UncheckedIOException(
                    new IOException("simulated read error at element " + failFrom));
            real.readFloats(firstElement, dst, dstOff, count);
        }
    }

    /** A real source tensor with one value replaced. */
    private record PoisonedTensor(SourceTensor real, long at, float value) implements WrappedTensor {
        public void readFloats(long firstElement, float[] dst, int dstOff, int count) {
            real.readFloats(firstElement, dst, dstOff, count);
            if (at >= firstElement && at < firstElement + count) dst[dstOff + (int) (at - firstElement)] = value;
        }
    }

    /** A real source tensor whose reads wait until interrupted, so a conversion can be caught mid-way. */
    private record BlockingTensor(SourceTensor real, CountDownLatch reading) implements WrappedTensor {
        public void readFloats(long firstElement, float[] dst, int dstOff, int count) {
            reading.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                throw new IllegalStateException("interrupted", e);
            }
        }
    }
}
