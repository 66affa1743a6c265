package io.quanthub.inference.pipeline;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.inference.TinyFlux;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.model.FloatTensor;
import io.quanthub.inference.model.ModelWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole text-to-image path on flux-tiny: four Euler steps with the authors' schedule and the VAE decode, against
 * the latent and image black-forest-labs/flux's {@code denoise} and {@code Decoder} produced from the same noise.
 */
class FluxPipelineTest {
    static Map<String, FloatTensor> sample;
    static Conditioning cond;
    static float[] noise;

    @BeforeAll
    static void readSample() throws IOException {
        sample = TinyFlux.sample();
        cond = Conditioning.of(sample, "sample.safetensors");
        noise = sample.get("noise").values();
    }

    @Test
    void matchesTheAuthorsFromTheBf16Safetensors() throws IOException {
        assertMatchesReference(TinyFlux.model(), "model.safetensors");
    }

    @ParameterizedTest
    @EnumSource(value = QuantLevel.class, names = {"F32", "BF16", "F16"})
    void matchesTheAuthorsFromConvertedGguf(QuantLevel level, @TempDir Path dir) throws IOException {
        assertMatchesReference(TinyFlux.convert(level, dir), level.name());
    }

    /**
     * A quantized model samples what the authors' math gives on the weights it really holds: the same sampler and
     * decoder on an F32 copy of its dequantized tensors. Its distance from the BF16 reference (quantization error
     * through four steps) is printed, not asserted. flux-tiny's rows are 64 or 320 wide, so Q4_K_M keeps those
     * tensors in F16 (K-quants need multiples of 256, the converter's fallback) and quantizes only the 256-wide
     * {@code mlp.2} / {@code mlp_0} rows; the printed type counts show the mix.
     */
    @ParameterizedTest
    @EnumSource(value = QuantLevel.class, names = {"Q8_0", "Q4_K_M", "Q4_0"})
    void quantizedModelMatchesItsDequantizedWeights(QuantLevel level, @TempDir Path dir) throws IOException {
        Path quantized = TinyFlux.convert(level, dir);
        Path dequantized = TinyFlux.dequantized(quantized, dir);
        Map<GgmlType, Long> types;
        try (ModelWeights weights = ModelWeights.open(quantized)) {
            types = weights.tensors().values().stream()
                    .collect(Collectors.groupingBy(Weight::type, TreeMap::new, Collectors.counting()));
        }
        assertTrue(types.containsKey(level.baseType), level + " holds only " + types);

        Generation fromQuantized = run(quantized);
        Generation reference = run(dequantized);
        double latentError = TinyFlux.relativeL2(fromQuantized.latent(), reference.latent());
        double imageError = TinyFlux.relativeL2(fromQuantized.image().planes(), reference.image().planes());
        System.out.printf("%s %s: vs its dequantized weights latent %.3g image %.3g; vs the BF16 reference latent"
                        + " %.3g image %.3g%n", level, types, latentError, imageError,
                TinyFlux.relativeL2(fromQuantized.latent(), sample.get("latent").values()),
                TinyFlux.relativeL2(fromQuantized.image().planes(), sample.get("image").values()));
        assertTrue(latentError <= 1e-3, level + " latent: relative L2 error " + latentError);
        assertTrue(imageError <= 1e-3, level + " image: relative L2 error " + imageError);
    }

    @Test
    void seededGenerationIsReproducibleAndSized() throws IOException {
        try (FluxPipeline pipeline = FluxPipeline.open(TinyFlux.model(), TinyFlux.vae(), new CpuBackend())) {
            assertEquals(4, pipeline.pixelMultiple());
            GenerationParams params = new GenerationParams(42, 2, 16, 12, 3.5f);
            Generation a = pipeline.generate(cond, params, StepListener.NONE);
            Generation b = pipeline.generate(cond, params, StepListener.NONE);
            Generation other = pipeline.generate(cond, new GenerationParams(43, 2, 16, 12, 3.5f),
                    StepListener.NONE);

            assertEquals(16, a.image().width());
            assertEquals(12, a.image().height());
            assertEquals(6, a.latentHeight());
            assertEquals(8, a.latentWidth());
            assertArrayEquals(a.image().planes(), b.image().planes());
            assertFalse(Arrays.equals(a.image().planes(), other.image().planes()));
            assertEquals(2, a.timings().stepMillis().length);
        }
    }

    /** Without guidance_in (schnell) the schedule is BFL's plain linspace; with it (dev), shifted for the size. */
    @Test
    void onlyGuidanceDistilledModelsShiftTheSchedule(@TempDir Path dir) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter();
        try (ModelWeights weights = ModelWeights.open(TinyFlux.model())) {
            for (Weight w : weights.tensors().values()) {
                if (!w.name().startsWith("guidance_in.")) writer.addF32(w.name(), w.shape(), w.toFloats());
            }
        }
        Path schnell = writer.write(dir.resolve("schnell-like.safetensors"));
        assertArrayEquals(new float[] {1f, 0.75f, 0.5f, 0.25f}, timestepsSeen(schnell));
        assertArrayEquals(Arrays.copyOf(sample.get("schedule").values(), 4), timestepsSeen(TinyFlux.model()), 1e-6f);
    }

    private static float[] timestepsSeen(Path model) throws IOException {
        float[] seen = new float[4];
        try (FluxPipeline pipeline = FluxPipeline.open(model, TinyFlux.vae(), new CpuBackend())) {
            pipeline.generate(cond, noise, 8, 8, 4, 3.5f, new StepListener() {
                @Override
                public void onStep(int step, int steps, float t, long millis) {
                    seen[step - 1] = t;
                }
            });
        }
        return seen;
    }

    /** An inference node that evicts a model closes its pipeline: the backend (a GPU's device memory) goes with it. */
    @Test
    void closingThePipelineClosesItsBackend() throws IOException {
        var closes = new java.util.concurrent.atomic.AtomicInteger();
        var backend = new io.quanthub.inference.compute.ForwardingBackend(new CpuBackend()) {
            @Override
            public void close() {
                closes.incrementAndGet();
                super.close();
            }
        };
        FluxPipeline pipeline = FluxPipeline.open(TinyFlux.model(), TinyFlux.vae(), backend);
        assertEquals(0, closes.get());
        pipeline.close();
        assertEquals(1, closes.get());
    }

    @Test
    void sizesThatAreNotMultiplesAreRefused() throws IOException {
        try (FluxPipeline pipeline = FluxPipeline.open(TinyFlux.model(), TinyFlux.vae(), new CpuBackend())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> pipeline.generate(cond, new GenerationParams(1, 1, 18, 16, 3.5f), StepListener.NONE));
            assertEquals("image size 18x16 is not a multiple of 4 on both sides", e.getMessage());
        }
    }

    @Test
    void listenerSeesEachStepAndCancelsByThrowing() throws IOException {
        try (FluxPipeline pipeline = FluxPipeline.open(TinyFlux.model(), TinyFlux.vae(), new CpuBackend())) {
            List<String> events = new ArrayList<>();
            pipeline.generate(cond, noise, 8, 8, 3, 3.5f, new StepListener() {
                @Override
                public void onStep(int step, int steps, float t, long millis) {
                    events.add(step + "/" + steps);
                }

                @Override
                public void onDecoded(long millis) {
                    events.add("decoded");
                }
            });
            assertEquals(List.of("1/3", "2/3", "3/3", "decoded"), events);

            List<Integer> seen = new ArrayList<>();
            assertThrows(CancellationException.class, () -> pipeline.generate(cond, noise, 8, 8, 4, 3.5f,
                    new StepListener() {
                        @Override
                        public void onStep(int step, int steps, float t, long millis) {
                            seen.add(step);
                            if (step == 2) throw new CancellationException("cancelled");
                        }
                    }));
            assertEquals(List.of(1, 2), seen);
        }
    }

    @Test
    void aVaeThatDoesNotFitTheModelIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FluxPipeline.open(TinyFlux.model(), TinyFlux.model(), new CpuBackend()));
        assertEquals("model.safetensors is not a VAE decoder: it has no decoder.conv_in.weight", e.getMessage());
    }

    private static void assertMatchesReference(Path model, String label) throws IOException {
        Generation g = run(model);
        double latentError = TinyFlux.relativeL2(g.latent(), sample.get("latent").values());
        double imageError = TinyFlux.relativeL2(g.image().planes(), sample.get("image").values());
        System.out.printf("%s: relative L2 error latent %.3g image %.3g%n", label, latentError, imageError);
        assertTrue(latentError <= 1e-3, label + " latent: relative L2 error " + latentError);
        assertTrue(imageError <= 1e-3, label + " image: relative L2 error " + imageError);
    }

    private static Generation run(Path model) throws IOException {
        try (FluxPipeline pipeline = FluxPipeline.open(model, TinyFlux.vae(), new CpuBackend())) {
            return pipeline.generate(cond, noise, 8, 8, 4, 3.5f, StepListener.NONE);
        }
    }
}
