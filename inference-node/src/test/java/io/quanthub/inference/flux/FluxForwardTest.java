package io.quanthub.inference.flux;

import io.quanthub.gguf.GgmlType;
import io.quanthub.inference.compute.Weight;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.inference.TinyFlux;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.model.FloatTensor;
import io.quanthub.inference.model.ModelWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One Flux transformer call on the flux-tiny test model, against the output of black-forest-labs/flux's own code
 * ({@code forward.safetensors}), from the BF16 safetensors and from GGUF files made by our converter.
 */
class FluxForwardTest {
    static Path model;
    static Path forward;

    @BeforeAll
    static void testdata() {
        model = TinyFlux.model();
        forward = TinyFlux.dir().resolve("forward.safetensors");
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
    @EnumSource(value = QuantLevel.class, names = {"F32", "F16", "BF16"})
    void matchesTheAuthorsOutputFromConvertedGguf(QuantLevel level, @TempDir Path dir) throws IOException {
        assertMatchesReference(TinyFlux.convert(level, dir));
    }

    /**
     * A quantized GGUF run with in-kernel dequantization gives what the same forward gives on the weights dequantized
     * beforehand (written out as F32): the quantized path adds no error beyond the quantization itself. (flux-tiny's
     * rows of 64 and 320 values are not K-quant blocks of 256: Q4_K_M and Q6_K quantize only the 256-wide rows and keep
     * the rest in F16, as the converter's fallback rule says.)
     */
    @ParameterizedTest
    @EnumSource(value = QuantLevel.class, names = {"Q8_0", "Q4_K_M", "Q4_0", "Q5_1", "Q6_K"})
    void quantizedGgufMatchesItsDequantizedWeights(QuantLevel level, @TempDir Path dir) throws IOException {
        Path quantized = TinyFlux.convert(level, dir);
        Path dequantized = TinyFlux.dequantized(quantized, dir);
        List<GgmlType> types;
        try (ModelWeights weights = ModelWeights.open(quantized)) {
            types = weights.tensors().values().stream().map(Weight::type).distinct().toList();
        }
        assertTrue(types.contains(level.baseType), level + " GGUF holds only " + types);

        float[] fromQuantized = run(quantized);
        float[] fromDequantized = run(dequantized);
        assertEquals(0.0, TinyFlux.relativeL2(fromQuantized, fromDequantized), 1e-6, level + " vs its dequantized weights");
        float[] authors = FloatTensor.readSafetensors(forward).get("out").values();
        System.out.println(level + " relative L2 error vs the BF16 reference " + TinyFlux.relativeL2(fromQuantized, authors));
    }

    private static void assertMatchesReference(Path modelFile) throws IOException {
        float[] expected = FloatTensor.readSafetensors(forward).get("out").values();
        float[] actual = run(modelFile);
        double error = TinyFlux.relativeL2(actual, expected);
        System.out.println(modelFile.getFileName() + " relative L2 error " + error);
        assertTrue(error <= 1e-4, modelFile.getFileName() + ": relative L2 error " + error + " > 1e-4");
    }

    static float[] run(Path modelFile) throws IOException {
        try (ModelWeights weights = ModelWeights.open(modelFile)) {
            return new FluxModel(weights, new CpuBackend()).forward(FluxInputs.readSafetensors(forward));
        }
    }

}
