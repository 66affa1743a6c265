package io.quanthub.inference.flux;

/**
 * The timesteps of BFL's {@code get_schedule} ({@code sampling.py}): {@code linspace(1, 0, steps + 1)}, and for
 * guidance-distilled models (dev) the resolution-dependent shift
 * {@code t <- e^mu / (e^mu + (1/t - 1))} with {@code mu} on the line through (256 tokens, 0.5) and (4096, 1.15).
 * Schnell (no {@code guidance_in}) is not shifted, as in BFL's {@code cli.py}.
 */
public final class FluxSchedule {
    static final double BASE_SEQ_LEN = 256;
    static final double BASE_SHIFT = 0.5;
    static final double MAX_SEQ_LEN = 4096;
    static final double MAX_SHIFT = 1.15;

    private FluxSchedule() {
    }

    /**
     * {@code steps + 1} timesteps from 1 down to 0, in float as torch computes them.
     *
     * @param imageTokens packed latent tokens (the sequence length the shift depends on)
     * @param shift       apply the resolution-dependent shift (true for models with guidance_in)
     */
    public static float[] timesteps(int steps, int imageTokens, boolean shift) {
        if (steps < 1) throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        float[] t = linspace(1f, 0f, steps + 1);
        if (shift) {
            float expMu = (float) StrictMath.exp(mu(imageTokens));
            for (int i = 0; i < t.length; i++) t[i] = expMu / (expMu + (1f / t[i] - 1f));
        }
        return t;
    }

    /** The shift parameter for a sequence of {@code imageTokens}: the line through (256, 0.5) and (4096, 1.15). */
    public static double mu(int imageTokens) {
        double slope = (MAX_SHIFT - BASE_SHIFT) / (MAX_SEQ_LEN - BASE_SEQ_LEN);
        double intercept = BASE_SHIFT - slope * BASE_SEQ_LEN;
        return slope * imageTokens + intercept;
    }

    /** torch.linspace in float32: the first half counts up from start, the second half back from end. */
    private static float[] linspace(float start, float end, int n) {
        float[] out = new float[n];
        float step = (end - start) / (n - 1);
        int half = n / 2;
        for (int i = 0; i < n; i++) out[i] = i < half ? start + step * i : end - step * (n - 1 - i);
        return out;
    }
}
