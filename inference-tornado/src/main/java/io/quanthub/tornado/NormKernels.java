package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * LayerNorm (no affine), RMSNorm (times a learned scale) and GroupNorm, one work-item per row or group, with the
 * CPU backend's formulas: mean, then the mean square of the deviations (two passes, no cancellation), eps inside the
 * square root. Sums are F32 here (devices differ in fp64 support), which is why tests allow a little more than the
 * CPU's double sums would differ by.
 */
final class NormKernels {
    private NormKernels() {
    }

    static void layerNorm(FloatArray x, FloatArray out, int rows, int dim, float eps) {
        for (@Parallel int r = 0; r < rows; r++) {
            int off = r * dim;
            float sum = 0f;
            for (int i = 0; i < dim; i++) sum += x.get(off + i);
            float mean = sum / dim;
            float squares = 0f;
            for (int i = 0; i < dim; i++) {
                float d = x.get(off + i) - mean;
                squares += d * d;
            }
            float inv = 1f / TornadoMath.sqrt(squares / dim + eps);
            for (int i = 0; i < dim; i++) out.set(off + i, (x.get(off + i) - mean) * inv);
        }
    }

    /** In place: {@code x = x / rms(x) * scale}. */
    static void rmsNorm(FloatArray x, FloatArray scale, int rows, int dim, float eps) {
        for (@Parallel int r = 0; r < rows; r++) {
            int off = r * dim;
            float squares = 0f;
            for (int i = 0; i < dim; i++) squares += x.get(off + i) * x.get(off + i);
            float inv = 1f / TornadoMath.sqrt(squares / dim + eps);
            for (int i = 0; i < dim; i++) x.set(off + i, x.get(off + i) * inv * scale.get(i));
        }
    }

    /** In place on [channels x spatial]: consecutive channels form a group; then per channel weight and bias. */
    static void groupNorm(FloatArray x, FloatArray weight, FloatArray bias, int channels, int spatial, int groups,
                          float eps) {
        for (@Parallel int g = 0; g < groups; g++) {
            int perGroup = channels / groups;
            int from = g * perGroup * spatial;
            int n = perGroup * spatial;
            float sum = 0f;
            for (int i = 0; i < n; i++) sum += x.get(from + i);
            float mean = sum / n;
            float squares = 0f;
            for (int i = 0; i < n; i++) {
                float d = x.get(from + i) - mean;
                squares += d * d;
            }
            float inv = 1f / TornadoMath.sqrt(squares / n + eps);
            for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
                float a = inv * weight.get(c);
                float b = bias.get(c) - mean * a;
                for (int i = 0; i < spatial; i++) x.set(c * spatial + i, x.get(c * spatial + i) * a + b);
            }
        }
    }
}
