package io.quanthub.inference.vae;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.GgufWriter;
import io.quanthub.gguf.format.TensorSpec;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.inference.TinyFlux;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.model.FloatTensor;
import io.quanthub.inference.model.ModelWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The flux-tiny VAE decoder against the output of black-forest-labs/flux's {@code Decoder}. */
class VaeDecoderTest {
    @Test
    void infersTheTinyDecoder() throws IOException {
        try (ModelWeights weights = ModelWeights.open(TinyFlux.vae())) {
            VaeConfig c = VaeConfig.of(weights);
            // config.json: ch 32, ch_mult [1, 2], num_res_blocks 1, z_channels 16.
            assertEquals("decoder.", c.prefix());
            assertEquals(16, c.zChannels());
            assertEquals(32, c.ch());
            assertArrayEquals(new int[] {1, 2}, c.chMult());
            assertEquals(1, c.numResBlocks());
            assertEquals(2, c.pixelScale());
            assertEquals(0.3611f, c.scaleFactor());
            assertEquals(0.1159f, c.shiftFactor());
        }
    }

    @Test
    void decodesTheAuthorsLatentAsTheyDo() throws IOException {
        Map<String, FloatTensor> sample = TinyFlux.sample();
        double error = TinyFlux.relativeL2(decode(TinyFlux.vae(), sample.get("latent_unpacked").values()),
                sample.get("image").values());
        System.out.println("VAE decode relative L2 error " + error);
        assertTrue(error <= 1e-4, "relative L2 error " + error);
    }

    /**
     * The VAE as a GGUF (the converter has no VAE architecture, so it is written here) with its kernels in F32 or
     * rounded to half precision. The reference for a rounded file is the same decoder on an F32 copy of the values it
     * holds; its distance from the authors' F32 output (the rounding itself) is printed.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16"})
    void decodesFromGgufKernels(GgmlType type, @TempDir Path dir) throws IOException {
        Path gguf = toGguf(TinyFlux.vae(), type, Map.of(), dir.resolve("ae-" + type + ".gguf"));
        Map<String, FloatTensor> sample = TinyFlux.sample();
        float[] latent = sample.get("latent_unpacked").values();
        float[] image = decode(gguf, latent);
        double error = TinyFlux.relativeL2(image, decode(TinyFlux.dequantized(gguf, dir), latent));
        double authors = TinyFlux.relativeL2(image, sample.get("image").values());
        System.out.println("VAE " + type + " GGUF relative L2 error " + error + ", from the F32 reference " + authors);
        assertTrue(error <= 1e-4, type + ": relative L2 error " + error);
        if (type == GgmlType.F32) assertTrue(authors <= 1e-4, "relative L2 error " + authors);
    }

    /** Metadata scale_factor / shift_factor replace Flux's: the decoder then sees z / scale + shift with those. */
    @Test
    void metadataOverridesTheLatentScale(@TempDir Path dir) throws IOException {
        Path identity = toGguf(TinyFlux.vae(), GgmlType.F32,
                Map.of(VaeConfig.SCALE_KEY, new GgufValue.F32(1f), VaeConfig.SHIFT_KEY, new GgufValue.F32(0f)),
                dir.resolve("ae-identity.gguf"));
        float[] latent = TinyFlux.sample().get("latent_unpacked").values();
        float[] flux = new float[latent.length];
        for (int i = 0; i < latent.length; i++) flux[i] = latent[i] / 0.3611f + 0.1159f;
        assertTrue(TinyFlux.relativeL2(decode(identity, flux), decode(TinyFlux.vae(), latent)) <= 1e-6);
    }

    @Test
    void aTransformerIsNotAVae() throws IOException {
        try (ModelWeights weights = ModelWeights.open(TinyFlux.model())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VaeConfig.of(weights));
            assertEquals("model.safetensors is not a VAE decoder: it has no decoder.conv_in.weight", e.getMessage());
        }
    }

    private static float[] decode(Path vae, float[] latent) throws IOException {
        try (ModelWeights weights = ModelWeights.open(vae)) {
            return new VaeDecoder(weights, new CpuBackend()).decode(latent, 8, 8);
        }
    }

    /** Every tensor of more than one dim stored as {@code type}, vectors as F32 (what GGUF converters do). */
    static Path toGguf(Path source, GgmlType type, Map<String, GgufValue> metadata, Path target) throws IOException {
        try (ModelWeights weights = ModelWeights.open(source)) {
            List<Weight> tensors = List.copyOf(weights.tensors().values());
            List<TensorSpec> specs = tensors.stream()
                    .map(w -> TensorSpec.ofTorchShape(w.name(), typeOf(w, type), w.shape())).toList();
            try (GgufWriter writer = GgufWriter.create(target, metadata, specs)) {
                for (Weight w : tensors) {
                    GgmlType t = typeOf(w, type);
                    float[] values = w.toFloats();
                    byte[] bytes = new byte[Math.toIntExact(w.rows() * t.rowBytes(w.cols()))];
                    Quants.of(t).quantize(values, 0, bytes, 0, w.rows(), w.cols(), null);
                    writer.writeTensorData(MemorySegment.ofArray(bytes));
                }
            }
        }
        return target;
    }

    private static GgmlType typeOf(Weight w, GgmlType type) {
        return w.shape().length > 1 ? type : GgmlType.F32;
    }
}
