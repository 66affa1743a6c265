package io.quanthub.gguf.quant;

/**
 * How ggml turns an importance matrix into per-value weights (spec §6.6, §7): {@code w_j = qw_j * sqrtf(sigma2 + x_j²)},
 * where sigma2 is a mean of squares whose extent (row or super-block) each type chooses.
 */
final class ImportanceWeights {
    private ImportanceWeights() {
    }

    /** {@code Σ x²} over {@code n} values, summed in order from 0.0f as ggml does. */
    static float sumOfSquares(float[] x, int off, int n) {
        float sum = 0;
        for (int j = 0; j < n; j++) sum += x[off + j] * x[off + j];
        return sum;
    }

    /** Fills {@code w[0..n)} with {@code qw_j * sqrtf(sigma2 + x_j*x_j)}. */
    static void weigh(float[] qw, int qwOff, float sigma2, float[] x, int xOff, float[] w, int n) {
        for (int j = 0; j < n; j++) {
            float v = x[xOff + j];
            w[j] = qw[qwOff + j] * (float) Math.sqrt(sigma2 + v * v);
        }
    }
}
