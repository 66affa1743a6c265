package io.quanthub.inference.pipeline;

/**
 * Progress of one generation, called on the generating thread. A listener that throws aborts the generation: the
 * exception propagates out of {@link FluxPipeline#generate} (this is how a caller cancels).
 */
public interface StepListener {
    StepListener NONE = new StepListener() {
    };

    /**
     * After each sampler step.
     *
     * @param step   1-based index of the step just finished
     * @param steps  total steps
     * @param t      the timestep the model was evaluated at (1 = pure noise)
     * @param millis wall time of this step
     */
    default void onStep(int step, int steps, float t, long millis) {
    }

    /** After the VAE decoded the final latent. */
    default void onDecoded(long millis) {
    }
}
