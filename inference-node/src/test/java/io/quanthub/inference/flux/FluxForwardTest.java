package io.quanthub.inference.flux;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.format.GgufWriter;
import io.quanthub.gguf.format.TensorSpec;
import io.quanthub.inference.compute.Weight;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.model.FloatTensor;
import io.quanthub.inference.model.ModelWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One Flux transformer call on the flux-tiny test model, against the output of black-forest-labs/flux's own code
 * ({@code forward.safetensors}), from the BF16 safetensors and from GGUF files made by our converter.
 */
class FluxForwardTest {
    private static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static Path model;
    static Path forward;

    @BeforeAll
    static void testdata() {
        String dir = System.getProperty("quanthub.testdata");
        assertTrue(dir != null, "system property quanthub.testdata is not set");
        model = Path.of(dir, "flux-tiny", "model.safetensors");
        forward = Path.of(dir, "flux-tiny", "forward.safetensors");
        assertTrue(Files.isRegularFile(model) && Files.isRegularFile(forward), "flux-tiny testdata missing in " + dir);
    }

    @Test
    void infersTheTinyConfig() throws IOException {
        try (ModelWeights weights = ModelWeights.open(model)) {
            FluxConfig c = FluxConfig.of(weights);
            assertEquals(64, c.hiddenSize());
            assertEquals(2, c.numHeads());
            assertEquals(32, c.headDim());
            assertEquals(256, c.mlpHidden());
            assertEquals(2, c.depth());
            assertEquals(2, c.depthSingleBlocks());
            assertEquals(48, c.contextInDim());
            assertEquals(32, c.vecInDim());
            assertEquals(64, c.inChannels());
            assertEquals(64, c.outChannels());
            assertTrue(c.guidanceEmbed());
            assertArrayEquals(new int[] {4, 14, 14}, c.axesDim());
        }
    }

    @Test
    void matchesTheAuthorsOutputFromSafetensors() throws IOException {
        assertMatchesReference(model);
    }

    @ParameterizedTest
    @EnumSource(value = QuantLevel.class, names = {"F32", "F16"})
    void matchesTheAuthorsOutputFromConvertedGguf(QuantLevel level, @TempDir Path dir) throws IOException {
        Path gguf = dir.resolve("flux-tiny-" + level + ".gguf");
        new Converter(1, false).convert(model, level, gguf, Converter.ProgressListener.NONE);
        assertMatchesReference(gguf);
    }

    /**
     * A quantized GGUF run with in-kernel dequantization gives what the same forward gives on the weights dequantized
     * beforehand (written out as an F32 GGUF): the quantized path adds no error beyond the quantization itself.
     */
    @ParameterizedTest
    @EnumSource(value = QuantLevel.class, names = {"Q8_0", "Q4_0", "Q5_1", "Q6_K"})
    void quantizedGgufMatchesItsDequantizedWeights(QuantLevel level, @TempDir Path dir) throws IOException {
        Path quantized = dir.resolve("flux-tiny-" + level + ".gguf");
        new Converter(1, false).convert(model, level, quantized, Converter.ProgressListener.NONE);
        Path dequantized = dir.resolve("flux-tiny-" + level + "-dequantized.gguf");
        List<GgmlType> types;
        try (ModelWeights weights = ModelWeights.open(quantized)) {
            types = weights.tensors().values().stream().map(Weight::type).distinct().toList();
            List<TensorSpec> specs = weights.tensors().values().stream()
                    .map(w -> TensorSpec.ofTorchShape(w.name(), GgmlType.F32, w.shape())).toList();
            try (GgufWriter writer = GgufWriter.create(dequantized, Map.of(), specs)) {
                for (Weight w : weights.tensors().values()) {
                    float[] values = w.toFloats();
                    MemorySegment bytes = MemorySegment.ofArray(new byte[values.length * 4]);
                    MemorySegment.copy(values, 0, bytes, LE_FLOAT, 0, values.length);
                    writer.writeTensorData(bytes);
                }
            }
        }
        assertTrue(types.contains(level.baseType), level + " GGUF holds only " + types);

        float[] fromQuantized = run(quantized);
        float[] fromDequantized = run(dequantized);
        assertEquals(0.0, relativeL2(fromQuantized, fromDequantized), 1e-6, level + " vs its dequantized weights");
        float[] authors = FloatTensor.readSafetensors(forward).get("out").values();
        System.out.println(level + " relative L2 error vs the BF16 reference " + relativeL2(fromQuantized, authors));
    }

    private static void assertMatchesReference(Path modelFile) throws IOException {
        float[] expected = FloatTensor.readSafetensors(forward).get("out").values();
        float[] actual = run(modelFile);
        double error = relativeL2(actual, expected);
        System.out.println(modelFile.getFileName() + " relative L2 error " + error);
        assertTrue(error <= 1e-4, modelFile.getFileName() + ": relative L2 error " + error + " > 1e-4");
    }

    static float[] run(Path modelFile) throws IOException {
        try (ModelWeights weights = ModelWeights.open(modelFile)) {
            return new FluxModel(weights, new CpuBackend()).forward(FluxInputs.readSafetensors(forward));
        }
    }

    static double relativeL2(float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length, "output length");
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) actual[i] - expected[i];
            diff += d * d;
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }
}
