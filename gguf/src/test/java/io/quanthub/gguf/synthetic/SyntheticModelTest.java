package io.quanthub.gguf.synthetic;

import io.quanthub.gguf.convert.Architecture;
import io.quanthub.gguf.convert.ConversionPlan;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.model.SourceTensor;
import io.quanthub.gguf.quant.Numerics;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.synthetic.SyntheticTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticModelTest {
    @TempDir
    Path dir;

    @Test
    void flux1DevHasItsRealParameterCount() {
        // 11.9 B as published; this count is the sum over the reference layout's tensors.
        assertEquals(11_901_408_320L, FluxShape.FLUX1_DEV.parameterCount());
        assertEquals(FluxShape.FLUX1_DEV.parameterCount(),
                FluxShape.FLUX1_DEV.tensors(Dtype.BF16).stream().mapToLong(SyntheticTensor::elementCount).sum());
        assertEquals(780, FluxShape.FLUX1_DEV.tensors(Dtype.BF16).size()); // as in flux1-dev.safetensors
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 1L << 20, 10L << 20, 64L << 20, 512L << 20, 1L << 30, 2L << 30, 30L << 30})
    void shapeForASizeReachesItAndKeepsFluxProportions(long target) {
        FluxShape shape = FluxShape.forDataBytes(target, Dtype.BF16);
        long bytes = shape.dataBytes(Dtype.BF16);
        assertTrue(bytes >= target, shape + ": " + bytes + " bytes < " + target);
        if (target >= 64L << 20) assertTrue(bytes <= target * 1.1, shape + ": " + bytes + " bytes for " + target);
        assertEquals(0, shape.hiddenSize() % 256, shape.toString());
        assertTrue(shape.singleBlocks() == 2 * shape.doubleBlocks()
                || shape.singleBlocks() == 2 * shape.doubleBlocks() - 1, shape.toString());
        assertEquals(4096, shape.contextWidth());
        assertEquals(768, shape.vectorWidth());
        assertEquals(shape.parameterCount(),
                shape.tensors(Dtype.BF16).stream().mapToLong(SyntheticTensor::elementCount).sum(), shape.toString());
        // Every weight row is a whole number of 256-value super-blocks, except img_in's 64 channels (as in Flux).
        for (SyntheticTensor s : shape.tensors(Dtype.BF16)) {
            long[] d = s.shape();
            if (d.length == 2 && !s.name().equals("img_in.weight")) assertEquals(0, d[1] % 256, s.toString());
        }
    }

    @Test
    void oneGibibyteIsFullWidthFlux() {
        assertEquals(new FluxShape(3072, 1, 1, 4096, 768), FluxShape.forDataBytes(1L << 30, Dtype.BF16));
        assertEquals(new FluxShape(3072, 2, 3, 4096, 768), FluxShape.forDataBytes(2L << 30, Dtype.BF16));
        assertEquals(new FluxShape(256, 1, 1, 4096, 768), FluxShape.forDataBytes(1, Dtype.BF16));
    }

    @Test
    void writesAFluxFileThatModelSourceReadsAndDetects() throws IOException {
        Path file = dir.resolve("flux.safetensors");
        FluxShape shape = SyntheticModel.writeFlux(file, 12L << 20, 42);
        List<SyntheticTensor> specs = shape.tensors(Dtype.BF16);
        long size = Files.size(file);
        assertTrue(size > shape.dataBytes(Dtype.BF16) && size < shape.dataBytes(Dtype.BF16) + 64 * 1024,
                size + " bytes");
        try (ModelSource model = ModelSource.open(file)) {
            assertEquals(specs.size(), model.tensors().size());
            for (int i = 0; i < specs.size(); i++) {
                SyntheticTensor s = specs.get(i);
                SourceTensor t = model.tensor(s.name());
                assertEquals(Dtype.BF16, t.dtype(), s.name());
                assertArrayEquals(s.shape(), t.shape(), s.name());
            }
            assertEquals(Architecture.FLUX, ConversionPlan.of(model, QuantLevel.Q4_K_M).architecture());

            // Values are the documented ones: tensor i holds SyntheticWeights.value(seed + i, j), rounded to BF16.
            int index = specs.indexOf(specs.stream().filter(s -> s.name().equals("single_blocks.0.linear1.weight"))
                    .findFirst().orElseThrow());
            SourceTensor t = model.tensor("single_blocks.0.linear1.weight");
            long first = t.elementCount() - 5000;
            float[] actual = new float[5000];
            t.readFloats(first, actual, 0, actual.length);
            for (int j = 0; j < actual.length; j++) {
                float expected = Numerics.bf16ToFp32(Numerics.fp32ToBf16(SyntheticWeights.value(42 + index, first + j)));
                assertEquals(expected, actual[j], "element " + (first + j));
            }
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        List<SyntheticTensor> specs = List.of(
                new SyntheticTensor("a.weight", Dtype.F32, 300, 512), new SyntheticTensor("b", Dtype.F16, 7),
                new SyntheticTensor("c.weight", Dtype.BF16, 3, 1 << 20));
        Path one = SyntheticModel.write(dir.resolve("one.safetensors"), specs, 5);
        Path two = SyntheticModel.write(dir.resolve("two.safetensors"), specs, 5);
        Path other = SyntheticModel.write(dir.resolve("other.safetensors"), specs, 6);
        assertEquals(-1, Files.mismatch(one, two));
        assertNotEquals(-1, Files.mismatch(one, other));
        assertEquals(Files.size(one), Files.size(other));
    }

    @Test
    void valuesAreBellShapedWithBlockScales() {
        int n = 1 << 20;
        double sum = 0;
        double sumSquares = 0;
        double minBlockRms = Double.MAX_VALUE;
        double maxBlockRms = 0;
        for (int block = 0; block < n / 256; block++) {
            double blockSquares = 0;
            for (int j = 0; j < 256; j++) {
                double v = SyntheticWeights.value(3, block * 256L + j);
                sum += v;
                sumSquares += v * v;
                blockSquares += v * v;
            }
            double blockRms = Math.sqrt(blockSquares / 256);
            minBlockRms = Math.min(minBlockRms, blockRms);
            maxBlockRms = Math.max(maxBlockRms, blockRms);
        }
        double mean = sum / n;
        double rms = Math.sqrt(sumSquares / n);
        assertTrue(Math.abs(mean) < rms / 100, "mean " + mean + ", rms " + rms);
        assertTrue(rms > 0.03 && rms < 0.06, "rms " + rms);  // sqrt(mean of (0.01 k)^2, k = 1..8) = 0.051
        // Block scales are 0.01 times 1..8: the loudest block is about 8 times the quietest.
        assertTrue(maxBlockRms / minBlockRms > 6 && maxBlockRms / minBlockRms < 11,
                "block RMS from " + minBlockRms + " to " + maxBlockRms);

        // Within one block the values look Gaussian-ish: about 2/3 of them within one standard deviation.
        int within = 0;
        float scale = 0;
        for (int j = 0; j < 256; j++) scale += SyntheticWeights.value(9, j) * SyntheticWeights.value(9, j);
        scale = (float) Math.sqrt(scale / 256);
        for (int j = 0; j < 256; j++) if (Math.abs(SyntheticWeights.value(9, j)) < scale) within++;
        assertTrue(within > 140 && within < 200, within + " of 256 within one sigma");
    }

    @Test
    void refusesWhatItCannotGenerate() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticModel.write(dir.resolve("x.safetensors"), List.of(
                        new SyntheticTensor("ids", Dtype.I64, 4)), 1));
        assertTrue(e.getMessage().contains("I64") && e.getMessage().contains("ids"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FluxShape(100, 1, 1, 4096, 768));
        assertThrows(IllegalArgumentException.class, () -> new FluxShape(3072, 0, 1, 4096, 768));
        assertThrows(IllegalArgumentException.class, () -> FluxShape.forDataBytes(0, Dtype.BF16));
    }
}
