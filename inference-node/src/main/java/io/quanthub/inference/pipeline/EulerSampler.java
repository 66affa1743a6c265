package io.quanthub.inference.pipeline;

import io.quanthub.inference.flux.FluxInputs;
import io.quanthub.inference.flux.FluxModel;
import io.quanthub.inference.flux.LatentPacking;

/**
 * BFL's {@code denoise} ({@code sampling.py}): for each pair of consecutive timesteps, one model call gives the
 * velocity at {@code t_curr} and {@code x <- x + (t_prev - t_curr) * v}. Guidance is a model input (distilled), so
 * there is no classifier-free guidance and one call per step.
 */
final class EulerSampler {
    private EulerSampler() {
    }

    /**
     * Samples from packed noise; returns the packed latent after the last step.
     *
     * @param packedNoise  [tokens x inChannels], tokens = latentHeight/2 * latentWidth/2
     * @param timesteps    from 1 down to 0 ({@link io.quanthub.inference.flux.FluxSchedule})
     * @param stepMillis   receives the wall time of each step
     */
    static float[] sample(FluxModel model, float[] packedNoise, int latentHeight, int latentWidth,
                          Conditioning cond, float[] timesteps, float guidance, StepListener listener,
                          long[] stepMillis) {
        int tokens = latentHeight / 2 * (latentWidth / 2);
        float[] imgIds = LatentPacking.imageIds(latentHeight, latentWidth);
        float[] txtIds = LatentPacking.textIds(cond.txtTokens());
        float g = model.config().guidanceEmbed() ? guidance : Float.NaN;
        float[] x = packedNoise.clone();
        int steps = timesteps.length - 1;
        for (int i = 0; i < steps; i++) {
            long start = System.nanoTime();
            float tCurr = timesteps[i];
            float tPrev = timesteps[i + 1];
            float[] v = model.forward(new FluxInputs(x, tokens, imgIds, cond.txt(), cond.txtTokens(), txtIds,
                    cond.y(), tCurr, g));
            // torch: img + (t_prev - t_curr) * pred, the difference taken in double and applied in float32.
            float dt = (float) ((double) tPrev - tCurr);
            for (int j = 0; j < x.length; j++) x[j] += dt * v[j];
            stepMillis[i] = (System.nanoTime() - start) / 1_000_000;
            listener.onStep(i + 1, steps, tCurr, stepMillis[i]);
        }
        return x;
    }
}
