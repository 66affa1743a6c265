package io.quanthub.tornado;

import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.tokenizer.ClipTokenizer;
import io.quanthub.gguf.tokenizer.UnigramTokenizer;
import io.quanthub.inference.TinyFlux;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.flux.FluxInputs;
import io.quanthub.inference.flux.FluxModel;
import io.quanthub.inference.model.FloatTensor;
import io.quanthub.inference.model.ModelWeights;
import io.quanthub.inference.pipeline.Conditioning;
import io.quanthub.inference.pipeline.FluxPipeline;
import io.quanthub.inference.pipeline.Generation;
import io.quanthub.inference.pipeline.StepListener;
import io.quanthub.inference.text.ClipTextModel;
import io.quanthub.inference.text.T5Encoder;
import io.quanthub.inference.vae.VaeDecoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The models on {@link TornadoBackend}: the flux-tiny transformer and sampler against black-forest-labs/flux's outputs
 * (the CPU backend's checks: forward 1e-4, sampled latent and image 1e-3), for its BF16 safetensors and converted
 * F32 and Q8_0 GGUF files (Q8_0 against the authors' math on the weights it holds, as the CPU tests check quantized
 * files); the VAE decoder and the CLIP and T5 text encoders against the CPU backend (1e-4).
 */
class ModelsOnTornadoTest {
    private static final TornadoBackend DEVICE = new TornadoBackend();

    @AfterAll
    static void close() {
        DEVICE.close();
    }

    @Test
    void fluxForwardFromBf16MatchesTheAuthorsAndRerunsItsPlan() throws IOException {
        Path forward = TinyFlux.dir().resolve("forward.safetensors");
        float[] expected = FloatTensor.readSafetensors(forward).get("out").values();
        FluxInputs inputs = FluxInputs.readSafetensors(forward);
        try (ModelWeights weights = ModelWeights.open(TinyFlux.model())) {
            FluxModel model = new FluxModel(weights, DEVICE);
            long t0 = System.nanoTime();
            float[] first = model.forward(inputs);
            long t1 = System.nanoTime();
            int plans = DEVICE.plansCompiled();
            float[] second = model.forward(inputs);
            long t2 = System.nanoTime();
            FluxModel onCpu = new FluxModel(weights, new CpuBackend());
            onCpu.forward(inputs);
            long c0 = System.nanoTime();
            onCpu.forward(inputs);
            long c1 = System.nanoTime();
            System.out.printf("flux-tiny forward on %s: first %.0f ms (compiles its plan), second %.0f ms (re-executes"
                    + " it); cpu backend (second call) %.1f ms%n", DEVICE.description(), (t1 - t0) / 1e6,
                    (t2 - t1) / 1e6, (c1 - c0) / 1e6);
            // The second call gets the same arrays from the pool, so its recording is the first one's.
            assertEquals(plans, DEVICE.plansCompiled(), "the second forward compiled a plan");
            assertArrayEquals(first, second, "the cached plan's forward");
            assertRelative(expected, first, 1e-4, "BF16 forward");
        }
    }

    @ParameterizedTest
    @EnumSource(value = QuantLevel.class, names = {"F32", "Q8_0"})
    void fluxForwardFromConvertedGguf(QuantLevel level, @TempDir Path dir) throws IOException {
        Path forward = TinyFlux.dir().resolve("forward.safetensors");
        Path gguf = TinyFlux.convert(level, dir);
        FluxInputs inputs = FluxInputs.readSafetensors(forward);
        float[] actual;
        try (ModelWeights weights = ModelWeights.open(gguf)) {
            actual = new FluxModel(weights, DEVICE).forward(inputs);
        }
        if (level == QuantLevel.F32) {
            assertRelative(FloatTensor.readSafetensors(forward).get("out").values(), actual, 1e-4, "F32 forward");
        } else {
            // A quantized file is checked against the authors' math on the weights it holds, as on the CPU.
            float[] reference;
            try (ModelWeights weights = ModelWeights.open(TinyFlux.dequantized(gguf, dir))) {
                reference = new FluxModel(weights, new CpuBackend()).forward(inputs);
            }
            assertRelative(reference, actual, 1e-4, level + " forward vs its dequantized weights");
        }
    }

    @Test
    void sampledLatentAndImageMatchTheAuthors() throws IOException {
        Map<String, FloatTensor> sample = TinyFlux.sample();
        Conditioning cond = Conditioning.of(sample, "sample.safetensors");
        float[] noise = sample.get("noise").values();
        try (FluxPipeline pipeline = FluxPipeline.open(TinyFlux.model(), TinyFlux.vae(), DEVICE)) {
            Generation g = pipeline.generate(cond, noise, 8, 8, 4, 3.5f, StepListener.NONE);
            assertRelative(sample.get("latent").values(), g.latent(), 1e-3, "sampled latent");
            assertRelative(sample.get("image").values(), g.image().planes(), 1e-3, "decoded image");
        }
    }

    @Test
    void quantizedSampleMatchesItsDequantizedWeights(@TempDir Path dir) throws IOException {
        Map<String, FloatTensor> sample = TinyFlux.sample();
        Conditioning cond = Conditioning.of(sample, "sample.safetensors");
        float[] noise = sample.get("noise").values();
        Path gguf = TinyFlux.convert(QuantLevel.Q8_0, dir);
        Generation expected;
        try (FluxPipeline pipeline = FluxPipeline.open(TinyFlux.dequantized(gguf, dir), TinyFlux.vae(),
                new CpuBackend())) {
            expected = pipeline.generate(cond, noise, 8, 8, 4, 3.5f, StepListener.NONE);
        }
        try (FluxPipeline pipeline = FluxPipeline.open(gguf, TinyFlux.vae(), DEVICE)) {
            Generation g = pipeline.generate(cond, noise, 8, 8, 4, 3.5f, StepListener.NONE);
            assertRelative(expected.latent(), g.latent(), 1e-3, "Q8_0 sampled latent");
            assertRelative(expected.image().planes(), g.image().planes(), 1e-3, "Q8_0 decoded image");
        }
    }

    @Test
    void vaeDecoderMatchesTheCpu() throws IOException {
        float[] latent = TinyFlux.sample().get("latent_unpacked").values();
        try (ModelWeights weights = ModelWeights.open(TinyFlux.vae())) {
            float[] expected = new VaeDecoder(weights, new CpuBackend()).decode(latent, 8, 8);
            float[] actual = new VaeDecoder(weights, DEVICE).decode(latent, 8, 8);
            assertRelative(expected, actual, 1e-4, "VAE decode");
        }
    }

    private static final Path TEXT = Path.of(System.getProperty("quanthub.testdata"), "text-encoders-tiny");
    private static final List<String> PROMPTS = List.of("a photo of a cat", "A red cube on a blue sphere, studio light");

    @Test
    void clipMatchesTheCpu() throws IOException {
        ClipTokenizer tokenizer = ClipTokenizer.openai();
        try (ModelWeights weights = ModelWeights.open(TEXT.resolve("clip_l.safetensors"))) {
            for (String prompt : PROMPTS) {
                int[] ids = tokenizer.tokenize(prompt, tokenizer.endId());
                ClipTextModel.Output expected = new ClipTextModel(weights, 4, new CpuBackend()).encode(ids);
                ClipTextModel.Output actual = new ClipTextModel(weights, 4, DEVICE).encode(ids);
                assertEquals(expected.eotIndex(), actual.eotIndex());
                assertRelative(expected.lastHiddenState(), actual.lastHiddenState(), 1e-4, "CLIP last hidden state");
                assertRelative(expected.penultimate(), actual.penultimate(), 1e-4, "CLIP penultimate");
                assertRelative(expected.pooledProjected(), actual.pooledProjected(), 1e-4, "CLIP pooled");
            }
        }
    }

    @Test
    void t5MatchesTheCpu() throws IOException {
        UnigramTokenizer tokenizer = UnigramTokenizer.t5();
        try (ModelWeights weights = ModelWeights.open(TEXT.resolve("t5.safetensors"))) {
            for (String prompt : PROMPTS) {
                int[] ids = tokenizer.encode(prompt);
                float[] expected = new T5Encoder(weights, new CpuBackend()).encode(ids);
                float[] actual = new T5Encoder(weights, DEVICE).encode(ids);
                assertRelative(expected, actual, 1e-4, "T5 states");
            }
        }
    }

    private static void assertRelative(float[] expected, float[] actual, double limit, String what) {
        double error = TinyFlux.relativeL2(actual, expected);
        System.out.printf("%s: relative L2 error %.3g%n", what, error);
        assertTrue(error <= limit, what + ": relative L2 error " + error + " > " + limit);
    }
}
