package io.quanthub.inference.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.stream.IntStream;

/**
 * The CPU versions of the image operations of {@link ComputeBackend} (the VAE's): convolution as im2col plus the
 * backend's own {@link ComputeBackend#matmul}, so a conv kernel in any stored type is dequantized tile by tile like a
 * Linear weight; GroupNorm and nearest upsampling with the Vector API, in parallel over groups and channels.
 * Images are planar: [channels x height x width].
 */
final class CpuImageOps {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bound on one im2col band (floats): 16 MiB, so a 1024x1024 image never needs gigabytes of patches. */
    static final int MAX_PATCH_FLOATS = 4 << 20;

    private CpuImageOps() {
    }

    /** See {@link ComputeBackend#conv2d}; {@link CpuMatmul} runs the patches through the kernel. */
    static float[] conv2d(float[] x, int height, int width, Weight w, float[] bias) {
        long[] shape = w.shape();
        if (shape.length != 4 && shape.length != 2) {
            throw new IllegalArgumentException("conv kernel " + w + " must be [out, in, k, k] (or [out, in] for 1x1)");
        }
        int out = (int) shape[0];
        int in = (int) shape[1];
        int k = shape.length == 4 ? (int) shape[2] : 1;
        if (shape.length == 4 && (shape[3] != k || k % 2 == 0)) {
            throw new IllegalArgumentException("conv kernel " + w + " is not square with an odd size");
        }
        int pixels = Math.multiplyExact(height, width);
        if (x.length != (long) in * pixels) {
            throw new IllegalArgumentException("conv " + w.name() + " input has " + x.length + " values, expected "
                    + in + "x" + height + "x" + width);
        }
        // The same bytes read as a Linear weight [out, in * k * k]: row o is kernel o flattened (in, ky, kx), which
        // is also how the patches below are laid out.
        Weight matrix = shape.length == 2 ? w : new Weight(w.name(), w.type(), new long[] {out, (long) in * k * k},
                w.data());
        float[] y = new float[Math.multiplyExact(out, pixels)];
        if (k == 1) {
            float[] tokens = Rows.transpose(x, in, pixels);
            float[] result = CpuBackend.matmul(tokens, pixels, matrix, bias, new float[pixels * out]);
            return Rows.transpose(result, pixels, out);
        }
        int patch = in * k * k;
        int bandRows = Math.clamp(MAX_PATCH_FLOATS / ((long) width * patch), 1, height);
        for (int y0 = 0; y0 < height; y0 += bandRows) {
            int rows = Math.min(bandRows, height - y0);
            float[] patches = im2col(x, in, height, width, k, y0, rows);
            float[] result = CpuBackend.matmul(patches, rows * width, matrix, bias, new float[rows * width * out]);
            int bandStart = y0 * width;
            int bandPixels = rows * width;
            IntStream.range(0, out).parallel().forEach(o -> {
                int base = o * pixels + bandStart;
                for (int p = 0; p < bandPixels; p++) y[base + p] = result[p * out + o];
            });
        }
        return y;
    }

    /**
     * Patches of output rows {@code [y0, y0 + rows)}: one row of {@code in * k * k} values per output pixel, value
     * {@code (c, ky, kx)} at {@code c * k * k + ky * k + kx}, zero where the kernel hangs over the border.
     */
    private static float[] im2col(float[] x, int in, int height, int width, int k, int y0, int rows) {
        int pad = k / 2;
        int patch = in * k * k;
        float[] patches = new float[rows * width * patch];
        IntStream.range(0, rows).parallel().forEach(r -> {
            int y = y0 + r;
            for (int px = 0; px < width; px++) {
                int base = (r * width + px) * patch;
                for (int c = 0; c < in; c++) {
                    for (int ky = 0; ky < k; ky++) {
                        int sy = y + ky - pad;
                        if (sy < 0 || sy >= height) continue;
                        int src = (c * height + sy) * width;
                        int dst = base + (c * k + ky) * k;
                        for (int kx = 0; kx < k; kx++) {
                            int sx = px + kx - pad;
                            if (sx >= 0 && sx < width) patches[dst + kx] = x[src + sx];
                        }
                    }
                }
            }
        });
        return patches;
    }

    /** See {@link ComputeBackend#groupNorm}. Statistics in double, like PyTorch's accumulation in higher precision. */
    static void groupNorm(float[] x, int channels, int spatial, int groups, float[] weight, float[] bias, float eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException(channels + " channels cannot form " + groups + " groups");
        }
        if (x.length != (long) channels * spatial || weight.length != channels || bias.length != channels) {
            throw new IllegalArgumentException("groupNorm of " + channels + " channels x " + spatial + " got "
                    + x.length + " values, " + weight.length + " weights and " + bias.length + " biases");
        }
        int perGroup = channels / groups;
        IntStream.range(0, groups).parallel().forEach(g -> {
            int from = g * perGroup * spatial;
            int n = perGroup * spatial;
            double sum = 0;
            for (int i = from; i < from + n; i++) sum += x[i];
            double mean = sum / n;
            double squares = 0;
            for (int i = from; i < from + n; i++) {
                double d = x[i] - mean;
                squares += d * d;
            }
            float inv = (float) (1.0 / Math.sqrt(squares / n + eps));
            for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
                // x' = (x - mean) * inv * weight + bias = x * a + b
                float a = inv * weight[c];
                float b = bias[c] - (float) mean * a;
                affine(x, c * spatial, spatial, a, b);
            }
        });
    }

    /** {@code x[off + i] = x[off + i] * a + b}. */
    private static void affine(float[] x, int off, int n, float a, float b) {
        FloatVector va = FloatVector.broadcast(F, a);
        FloatVector vb = FloatVector.broadcast(F, b);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, off + i).fma(va, vb).intoArray(x, off + i);
        }
        // fma like the vector part: which values fall in the tail depends on the vector width.
        for (; i < n; i++) x[off + i] = Math.fma(x[off + i], a, b);
    }

    /** See {@link ComputeBackend#upsampleNearest2x}. */
    static float[] upsampleNearest2x(float[] x, int channels, int height, int width) {
        if (x.length != (long) channels * height * width) {
            throw new IllegalArgumentException("upsample input of " + x.length + " values is not " + channels + "x"
                    + height + "x" + width);
        }
        int outWidth = 2 * width;
        float[] out = new float[x.length * 4];
        IntStream.range(0, channels * height).parallel().forEach(row -> {
            int src = row * width;
            int dst = 2 * row * outWidth;
            for (int i = 0; i < width; i++) {
                float v = x[src + i];
                out[dst + 2 * i] = v;
                out[dst + 2 * i + 1] = v;
            }
            System.arraycopy(out, dst, out, dst + outWidth, outWidth);
        });
        return out;
    }
}
