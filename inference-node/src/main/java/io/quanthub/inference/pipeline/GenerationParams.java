package io.quanthub.inference.pipeline;

/**
 * What to generate, besides the prompt.
 *
 * @param seed     seeds the latent noise ({@link GaussianNoise}): the same seed gives the same image everywhere
 * @param steps    Euler steps, at least 1 (schnell: 4; dev: 20-50; previews: 1-4)
 * @param width    image width in pixels, a multiple of {@link FluxPipeline#pixelMultiple()} (16 for Flux's VAE)
 * @param height   image height in pixels, same rule
 * @param guidance distilled guidance strength for models with {@code guidance_in} (dev); ignored otherwise
 */
public record GenerationParams(long seed, int steps, int width, int height, float guidance) {
    /** sd.cpp's default guidance; BFL's cli uses 2.5 for dev. */
    public static final float DEFAULT_GUIDANCE = 3.5f;

    public GenerationParams {
        if (steps < 1) throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (!Float.isFinite(guidance)) throw new IllegalArgumentException("guidance must be a finite number");
    }
}
