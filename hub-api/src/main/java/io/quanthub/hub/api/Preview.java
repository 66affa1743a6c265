package io.quanthub.hub.api;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.util.List;
import java.util.Map;

/**
 * A preview as {@code GET /api/previews/{id}} answers it: the job's fields as every job has them, then the preview's
 * own.
 *
 * @param prompt       the prompt, for a preview of one (else {@code conditioning} names the set)
 * @param reference    the job id of the reference preview (the source's image it is compared with), or null
 * @param psnr         dB against the reference; {@code "Infinity"} when identical
 * @param ssim         SSIM of the 8-bit luma against the reference (Gaussian 11x11, sigma 1.5, K1 0.01, K2 0.03)
 * @param node         the inference node that rendered it, or null
 * @param textEncoders the text encoders the model names (role to blob digest) when the preview was asked for
 * @param memoryBytes  the device memory rendering it needs (its transformer, VAE and text encoders by the rule of the
 *                     VRAM estimates): only an inference node with that much claims it; 0 when not known
 */
public record Preview(@JsonUnwrapped HubJob job, String conditioning, String prompt, long seed, int steps, int width,
                      int height, String reference, boolean isReference, Double psnr, Double ssim, Timings timings,
                      String node, Map<String, String> textEncoders, long memoryBytes) {
    /** Wall times of a finished preview, in milliseconds. */
    public record Timings(List<Long> stepMillis, long decodeMillis, long loadMillis, long totalMillis) {}
}
