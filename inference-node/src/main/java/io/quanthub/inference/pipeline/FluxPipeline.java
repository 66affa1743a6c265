package io.quanthub.inference.pipeline;

import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.flux.FluxConfig;
import io.quanthub.inference.flux.FluxModel;
import io.quanthub.inference.flux.FluxSchedule;
import io.quanthub.inference.flux.LatentPacking;
import io.quanthub.inference.model.ModelWeights;
import io.quanthub.inference.vae.VaeConfig;
import io.quanthub.inference.vae.VaeDecoder;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Text-to-image with a Flux transformer and its VAE decoder, from encoded prompts: seeded noise, the Euler
 * flow-matching sampler with BFL's schedule, unpacking and decoding. Both files stay memory-mapped (GGUF of any
 * quantization, or safetensors) until {@link #close()}.
 *
 * <p>{@link #generate} holds no per-call state in the pipeline, so concurrent calls are safe, but each already uses
 * every core: callers should run one at a time.
 */
public final class FluxPipeline implements AutoCloseable {
    private final ModelWeights modelWeights;
    private final ModelWeights vaeWeights;
    private final FluxModel model;
    private final VaeDecoder vae;
    /** The pipeline's own: closed with it. */
    private final ComputeBackend backend;

    private FluxPipeline(ModelWeights modelWeights, ModelWeights vaeWeights, ComputeBackend backend) {
        this.backend = backend;
        this.modelWeights = modelWeights;
        this.vaeWeights = vaeWeights;
        this.model = new FluxModel(modelWeights, backend);
        this.vae = new VaeDecoder(vaeWeights, backend);
        int latentChannels = model.config().inChannels() / 4;
        if (latentChannels * 4 != model.config().inChannels() || latentChannels != vae.config().zChannels()) {
            throw new IllegalArgumentException("the model takes " + model.config().inChannels()
                    + " packed channels but the VAE decodes " + vae.config().zChannels()
                    + " latent channels (expected 4 x z_channels)");
        }
    }

    /**
     * Maps the transformer and the VAE and binds their weights.
     *
     * @throws IOException              a file cannot be read or is not a model
     * @throws IllegalArgumentException the files are not a Flux transformer and a matching VAE decoder
     */
    public static FluxPipeline open(Path model, Path vae, ComputeBackend backend) throws IOException {
        ModelWeights modelWeights = ModelWeights.open(model);
        ModelWeights vaeWeights = null;
        try {
            vaeWeights = ModelWeights.open(vae);
            return new FluxPipeline(modelWeights, vaeWeights, backend);
        } catch (IOException | RuntimeException e) {
            modelWeights.close();
            if (vaeWeights != null) vaeWeights.close();
            throw e;
        }
    }

    public FluxConfig modelConfig() {
        return model.config();
    }

    public VaeConfig vaeConfig() {
        return vae.config();
    }

    /** Image sides must be multiples of this: a 2x2 patch of latent cells (16 pixels for Flux's 8x VAE). */
    public int pixelMultiple() {
        return 2 * vae.config().pixelScale();
    }

    /** Generates from {@link GaussianNoise} seeded with {@code params.seed()}. */
    public Generation generate(Conditioning cond, GenerationParams params, StepListener listener) {
        int multiple = pixelMultiple();
        if (params.width() % multiple != 0 || params.height() % multiple != 0) {
            throw new IllegalArgumentException("image size " + params.width() + "x" + params.height()
                    + " is not a multiple of " + multiple + " on both sides");
        }
        int latentHeight = params.height() / vae.config().pixelScale();
        int latentWidth = params.width() / vae.config().pixelScale();
        float[] noise = GaussianNoise.sample(params.seed(),
                vae.config().zChannels() * latentHeight * latentWidth);
        return generate(cond, noise, latentHeight, latentWidth, params.steps(), params.guidance(), listener);
    }

    /**
     * Generates from given noise (BFL's {@code get_noise} output, unpacked).
     *
     * @param noise [zChannels x latentHeight x latentWidth], both sides even
     */
    public Generation generate(Conditioning cond, float[] noise, int latentHeight, int latentWidth, int steps,
                               float guidance, StepListener listener) {
        if (steps < 1) throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        if (!Float.isFinite(guidance)) throw new IllegalArgumentException("guidance must be a finite number");
        int channels = vae.config().zChannels();
        float[] packed = LatentPacking.pack(noise, channels, latentHeight, latentWidth);
        int tokens = latentHeight / 2 * (latentWidth / 2);
        float[] timesteps = FluxSchedule.timesteps(steps, tokens, model.config().guidanceEmbed());
        long[] stepMillis = new long[steps];
        float[] latent = EulerSampler.sample(model, packed, latentHeight, latentWidth, cond, timesteps, guidance,
                listener, stepMillis);

        long start = System.nanoTime();
        float[] rgb = vae.decode(LatentPacking.unpack(latent, channels, latentHeight, latentWidth), latentHeight,
                latentWidth);
        long decodeMillis = (System.nanoTime() - start) / 1_000_000;
        listener.onDecoded(decodeMillis);
        int scale = vae.config().pixelScale();
        Image image = new Image(latentWidth * scale, latentHeight * scale, rgb);
        return new Generation(image, latent, latentHeight, latentWidth, new Timings(stepMillis, decodeMillis));
    }

    @Override
    public void close() {
        try (backend; vaeWeights) {
            modelWeights.close();
        }
    }
}
