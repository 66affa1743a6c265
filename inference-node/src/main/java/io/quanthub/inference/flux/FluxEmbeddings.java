package io.quanthub.inference.flux;

import io.quanthub.inference.compute.RopeTable;

/**
 * Flux's position-free embeddings: sinusoidal timesteps and the RoPE angle table (BFL {@code math.py}). StrictMath,
 * not Math: its results are fixed to the bit on every JVM and CPU, so every node builds the same tables.
 */
final class FluxEmbeddings {
    /** BFL's {@code timestep_embedding} defaults. */
    static final double MAX_PERIOD = 10_000;
    static final float TIME_FACTOR = 1000f;

    private FluxEmbeddings() {
    }

    /**
     * {@code timestep_embedding(t, dim)}: {@code args_i = 1000 t * exp(-ln(10000) i / (dim/2))}, output
     * {@code [cos(args) | sin(args)]}. Each step is rounded to float as PyTorch does in float32, because the
     * arguments reach ~1000 radians where a rounding difference shows.
     */
    static float[] timestep(float t, int dim) {
        int half = dim / 2;
        float scaled = TIME_FACTOR * t;
        float negLogPeriod = (float) -StrictMath.log(MAX_PERIOD);
        float[] out = new float[dim];
        for (int i = 0; i < half; i++) {
            float freq = (float) StrictMath.exp(negLogPeriod * i / half);
            float arg = scaled * freq;
            out[i] = (float) StrictMath.cos(arg);
            out[half + i] = (float) StrictMath.sin(arg);
        }
        return out;
    }

    /**
     * The RoPE angles of {@code tokens} tokens with position ids {@code ids} [tokens x axes]: axis a of size d_a
     * contributes d_a/2 angles {@code pos_a * theta^(-2k/d_a)}, the axes' angles concatenated in order (computed in
     * double, as BFL does in float64).
     */
    static RopeTable rope(float[] ids, int tokens, int[] axesDim, double theta) {
        int pairs = 0;
        for (int d : axesDim) pairs += d / 2;
        float[] cos = new float[tokens * pairs];
        float[] sin = new float[tokens * pairs];
        for (int t = 0; t < tokens; t++) {
            int slot = t * pairs;
            for (int axis = 0; axis < axesDim.length; axis++) {
                double pos = ids[t * axesDim.length + axis];
                int d = axesDim[axis];
                for (int k = 0; k < d / 2; k++) {
                    double angle = pos / StrictMath.pow(theta, 2.0 * k / d);
                    cos[slot] = (float) StrictMath.cos(angle);
                    sin[slot] = (float) StrictMath.sin(angle);
                    slot++;
                }
            }
        }
        return new RopeTable(tokens, pairs, cos, sin);
    }
}
