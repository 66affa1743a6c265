package io.quanthub.gguf.synthetic;

/**
 * Deterministic pseudo-random weights that look enough like a trained layer for quantization to do real work: values
 * are bell-shaped around zero, and their magnitude changes from one 256-value block to the next (so every block, and
 * every K-quant super-block, gets its own scale).
 *
 * <p>A value depends only on a seed and its index, so any range of a tensor can be generated on its own, in any order.
 * Generation is cheap (one 64-bit hash per value, no logarithms or trigonometry), which matters for models of several
 * gigabytes.
 */
public final class SyntheticWeights {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    /** Mean of the sum of four uniform 16-bit integers: 4 * 65535 / 2. */
    private static final long IRWIN_HALL_MEAN = 131070;
    /** One over its standard deviation, sqrt(4 * (65536^2 - 1) / 12) (almost exactly 65536 / sqrt(3)). */
    private static final float IRWIN_HALL_INV_SIGMA = (float) (1 / Math.sqrt(4 * (65536.0 * 65536.0 - 1) / 12));
    /** Standard deviation of the smallest block scale; blocks get 1x to 8x this (trained layers: about 0.01-0.1). */
    private static final float BASE_SCALE = 0.01f;

    private SyntheticWeights() {
    }

    /** Value {@code index} of the tensor generated from {@code seed}. */
    public static float value(long seed, long index) {
        long z = mix(seed * GOLDEN_GAMMA + index);
        // Irwin-Hall: the sum of four uniforms is bell-shaped (bounded at +-3.46 sigma); close enough to a Gaussian for
        // quantization, and one hash gives all four.
        long sum = (z & 0xFFFF) + ((z >>> 16) & 0xFFFF) + ((z >>> 32) & 0xFFFF) + (z >>> 48);
        float unit = (sum - IRWIN_HALL_MEAN) * IRWIN_HALL_INV_SIGMA;
        return unit * blockScale(seed, index);
    }

    /** Fills {@code dst[off..off+count)} with values {@code first..first+count} of the tensor from {@code seed}. */
    public static void fill(long seed, long first, float[] dst, int off, int count) {
        for (int i = 0; i < count; i++) dst[off + i] = value(seed, first + i);
    }

    /** The scale of the 256-value block holding {@code index}: BASE_SCALE times 1..8, chosen by a multiplicative hash. */
    private static float blockScale(long seed, long index) {
        long block = (index >>> 8) + seed * GOLDEN_GAMMA;
        return BASE_SCALE * (1 + (int) ((block * GOLDEN_GAMMA) >>> 61));
    }

    /** splitmix64's finalizer: a bijective 64-bit hash with good avalanche. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
