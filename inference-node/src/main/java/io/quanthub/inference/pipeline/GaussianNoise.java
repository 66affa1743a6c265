package io.quanthub.inference.pipeline;

/**
 * Seeded standard-normal noise that is the same on every machine and JVM.
 *
 * <p>The generator, fully specified so other implementations can reproduce it: a SplitMix64 stream
 * ({@code state += 0x9E3779B97F4A7C15}; {@code z = state}; {@code z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9};
 * {@code z = (z ^ (z >>> 27)) * 0x94D049BB133111EB}; {@code z ^= z >>> 31}) starting from {@code state = seed}.
 * Each pair of outputs becomes two uniforms in (0, 1], {@code u = ((z >>> 11) + 1) * 2^-53}, and the Box-Muller
 * transform turns them into {@code r cos(theta)} and {@code r sin(theta)} with {@code r = sqrt(-2 ln u1)},
 * {@code theta = 2 pi u2}, in double with {@link StrictMath} (bit-reproducible), rounded to float. Values fill the
 * latent [channels x height x width] in row-major order.
 *
 * <p>This is not torch's generator, so a seed does not give the image BFL's scripts give for the same seed.
 */
public final class GaussianNoise {
    private GaussianNoise() {
    }

    /** {@code n} standard-normal floats for {@code seed}. */
    public static float[] sample(long seed, int n) {
        float[] out = new float[n];
        long state = seed;
        for (int i = 0; i < n; i += 2) {
            state += 0x9E3779B97F4A7C15L;
            double u1 = uniform(mix(state));
            state += 0x9E3779B97F4A7C15L;
            double u2 = uniform(mix(state));
            double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
            double theta = 2.0 * StrictMath.PI * u2;
            out[i] = (float) (r * StrictMath.cos(theta));
            if (i + 1 < n) out[i + 1] = (float) (r * StrictMath.sin(theta));
        }
        return out;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** In (0, 1], so the logarithm is finite. */
    private static double uniform(long z) {
        return ((z >>> 11) + 1) * 0x1.0p-53;
    }
}
