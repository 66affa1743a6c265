package io.quanthub.inference.pipeline;

/**
 * The result of {@link FluxPipeline#generate}.
 *
 * @param image        the decoded image (unclamped floats; {@link Image#toRgbBytes()} and {@link Png} clamp)
 * @param latent       the sampled latent, packed: [tokens x 64], tokens = (latent height / 2) * (latent width / 2)
 * @param latentHeight rows of the unpacked latent (image height / VAE scale)
 * @param latentWidth  columns of the unpacked latent
 */
public record Generation(Image image, float[] latent, int latentHeight, int latentWidth, Timings timings) {
}
