package io.quanthub.inference;

import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.model.FloatTensor;
import io.quanthub.inference.model.ModelWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The flux-tiny test data (a Flux transformer and VAE at toy size with the authors' outputs) and helpers around it. */
public final class TinyFlux {
    private TinyFlux() {
    }

    public static Path dir() {
        String testdata = System.getProperty("quanthub.testdata");
        assertTrue(testdata != null, "system property quanthub.testdata is not set");
        Path dir = Path.of(testdata, "flux-tiny");
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")), "flux-tiny testdata missing in " + dir);
        return dir;
    }

    /** The BF16 transformer. */
    public static Path model() {
        return dir().resolve("model.safetensors");
    }

    /** The F32 VAE decoder. */
    public static Path vae() {
        return dir().resolve("ae.safetensors");
    }

    /** noise, txt, y, schedule and the authors' latent, latent_unpacked and image. */
    public static Map<String, FloatTensor> sample() throws IOException {
        return FloatTensor.readSafetensors(dir().resolve("sample.safetensors"));
    }

    /** The transformer converted by our converter to {@code level}, in {@code dir}. */
    public static Path convert(QuantLevel level, Path dir) throws IOException {
        Path gguf = dir.resolve("flux-tiny-" + level + ".gguf");
        new Converter(1, false).convert(model(), level, gguf, Converter.ProgressListener.NONE);
        return gguf;
    }

    /**
     * Every tensor of {@code model} dequantized to F32, as a safetensors file: the weights a quantized file really
     * holds, for running the authors' math (our F32 path) on them as a reference.
     */
    public static Path dequantized(Path model, Path dir) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter();
        try (ModelWeights weights = ModelWeights.open(model)) {
            for (Weight w : weights.tensors().values()) writer.addF32(w.name(), w.shape(), w.toFloats());
        }
        return writer.write(dir.resolve(model.getFileName() + "-dequantized.safetensors"));
    }

    /** {@code |actual - expected| / |expected|} in the L2 norm. */
    public static double relativeL2(float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length, "length");
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
