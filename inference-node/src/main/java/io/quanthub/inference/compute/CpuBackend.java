package io.quanthub.inference.compute;

import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The CPU backend: SIMD through the Vector API, threads through parallel streams.
 *
 * <p>{@link #matmul} is {@link CpuMatmul}: weight slices dequantized into packed per-thread panels and reused by
 * every token, register-blocked tokens x features; no weight is ever expanded to F32 as a whole.
 *
 * <p>{@link #attention} is {@link CpuAttention}: blocked over queries and keys with an online softmax, so the full
 * score matrix never exists.
 *
 * <p>Every result is the same to the bit whatever the thread count, the JIT tier (interpreter, C1, C2) or the vector
 * width: each output value is computed by one chain of operations in a fixed order, never by
 * {@code reduceLanes(ADD)} (it sums in one order compiled by C2 and in another interpreted, over as many lanes as the
 * CPU has); the one sum across lanes left, the one-token matmul's {@code CpuMatmul.dot8}, is written out on a fixed 8
 * lanes. Tails of vector loops use {@link Math#fma} where the vector part uses fma, and exp comes from
 * {@link VectorMath}, not from an intrinsic. Reductions over a row (the norms) are sequential in double.
 */
public final class CpuBackend implements ComputeBackend {
    static final float EPS = 1e-6f;
    /** Values per task of the element-wise activations. */
    private static final int ACTIVATION_CHUNK = 1 << 16;

    /** Attention's per-call copies of keys and values, kept between calls (they are as large as the activations). */
    private final ArrayPool scratch = new ArrayPool(1L << 30);

    @Override
    public float[] matmul(float[] x, int tokens, Weight w, float[] bias) {
        return matmul(x, tokens, w, bias, new float[Math.multiplyExact(tokens, w.rows())]);
    }

    @Override
    public float[] matmul(float[] x, int tokens, Weight w, float[] bias, float[] out) {
        int in = w.cols();
        int outDim = w.rows();
        checkLength("matmul input for " + w.name(), x, (long) tokens * in);
        if (bias != null && bias.length != outDim) {
            throw new IllegalArgumentException("bias of " + bias.length + " values for " + w + " with " + outDim
                    + " outputs");
        }
        checkLength("matmul output for " + w.name(), out, (long) tokens * outDim);
        CpuMatmul.multiply(x, tokens, w, bias, out);
        return out;
    }

    @Override
    public float[] layerNorm(float[] x, int tokens, int dim) {
        return layerNorm(x, tokens, dim, new float[tokens * dim]);
    }

    @Override
    public float[] layerNorm(float[] x, int tokens, int dim, float[] out) {
        return normalize(x, tokens, dim, EPS, out);
    }

    @Override
    public float[] layerNorm(float[] x, int tokens, int dim, float eps, float[] weight, float[] bias) {
        checkLength("layerNorm weight", weight, dim);
        checkLength("layerNorm bias", bias, dim);
        float[] out = normalize(x, tokens, dim, eps, new float[tokens * dim]);
        for (int t = 0; t < tokens; t++) {
            int off = t * dim;
            for (int i = 0; i < dim; i++) out[off + i] = out[off + i] * weight[i] + bias[i];
        }
        return out;
    }

    /** {@code (x - mean) / sqrt(var + eps)} per row, into {@code out}. */
    private static float[] normalize(float[] x, int tokens, int dim, float eps, float[] out) {
        checkLength("layerNorm input", x, (long) tokens * dim);
        checkLength("layerNorm output", out, (long) tokens * dim);
        IntStream.range(0, tokens).parallel().forEach(t -> {
            int off = t * dim;
            double sum = 0;
            for (int i = 0; i < dim; i++) sum += x[off + i];
            double mean = sum / dim;
            double squares = 0;
            for (int i = 0; i < dim; i++) {
                double d = x[off + i] - mean;
                squares += d * d;
            }
            float inv = (float) (1.0 / Math.sqrt(squares / dim + eps));
            float m = (float) mean;
            for (int i = 0; i < dim; i++) out[off + i] = (x[off + i] - m) * inv;
        });
        return out;
    }

    @Override
    public void rmsNorm(float[] x, int rows, int dim, float[] scale) {
        checkLength("rmsNorm input", x, (long) rows * dim);
        checkLength("rmsNorm scale", scale, dim);
        IntStream.range(0, rows).parallel().forEach(r -> {
            int off = r * dim;
            double squares = 0;
            for (int i = 0; i < dim; i++) squares += (double) x[off + i] * x[off + i];
            float inv = (float) (1.0 / Math.sqrt(squares / dim + EPS));
            for (int i = 0; i < dim; i++) x[off + i] = x[off + i] * inv * scale[i];
        });
    }

    @Override
    public void modulate(float[] x, int tokens, float[] shift, float[] scale) {
        int dim = shift.length;
        checkLength("modulate input", x, (long) tokens * dim);
        checkLength("modulate scale", scale, dim);
        for (int t = 0; t < tokens; t++) {
            int off = t * dim;
            for (int i = 0; i < dim; i++) x[off + i] = (1f + scale[i]) * x[off + i] + shift[i];
        }
    }

    @Override
    public void addGated(float[] x, int tokens, float[] gate, float[] y) {
        int dim = gate.length;
        checkLength("residual", x, (long) tokens * dim);
        checkLength("gated update", y, (long) tokens * dim);
        for (int t = 0; t < tokens; t++) {
            int off = t * dim;
            for (int i = 0; i < dim; i++) x[off + i] += gate[i] * y[off + i];
        }
    }

    @Override
    public void gelu(float[] x, int n) {
        checkLength("gelu input", x, n);
        activation(x, n, true);
    }

    @Override
    public void silu(float[] x, int n) {
        checkLength("silu input", x, n);
        activation(x, n, false);
    }

    @Override
    public void quickGelu(float[] x, int n) {
        checkLength("quickGelu input", x, n);
        for (int i = 0; i < n; i++) x[i] = x[i] / (1f + VectorMath.exp(-1.702f * x[i]));
    }

    /** GELU or SiLU on {@code x[0 .. n)}, in chunks across threads (each value on its own: any split gives the same). */
    private static void activation(float[] x, int n, boolean gelu) {
        int chunks = (n + ACTIVATION_CHUNK - 1) / ACTIVATION_CHUNK;
        if (chunks <= 1) {
            VectorMath.apply(x, 0, n, gelu);
            return;
        }
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = c * ACTIVATION_CHUNK;
            VectorMath.apply(x, from, Math.min(n, from + ACTIVATION_CHUNK), gelu);
        });
    }

    @Override
    public float[] conv2d(float[] x, int height, int width, Weight w, float[] bias) {
        return CpuImageOps.conv2d(this, x, height, width, w, bias);
    }

    @Override
    public void groupNorm(float[] x, int channels, int spatial, int groups, float[] weight, float[] bias) {
        CpuImageOps.groupNorm(x, channels, spatial, groups, weight, bias, EPS);
    }

    @Override
    public float[] upsampleNearest2x(float[] x, int channels, int height, int width) {
        return CpuImageOps.upsampleNearest2x(x, channels, height, width);
    }

    @Override
    public void rope(float[] x, int tokens, int heads, int headDim, RopeTable table) {
        int pairs = headDim / 2;
        if (table.pairs() != pairs || table.tokens() != tokens) {
            throw new IllegalArgumentException("rope table for " + table.tokens() + " tokens x " + table.pairs()
                    + " pairs applied to " + tokens + " tokens with head size " + headDim);
        }
        checkLength("rope input", x, (long) tokens * heads * headDim);
        float[] cos = table.cos();
        float[] sin = table.sin();
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int off = (t * heads + h) * headDim;
                for (int j = 0; j < pairs; j++) {
                    float c = cos[t * pairs + j];
                    float s = sin[t * pairs + j];
                    float x0 = x[off + 2 * j];
                    float x1 = x[off + 2 * j + 1];
                    x[off + 2 * j] = c * x0 - s * x1;
                    x[off + 2 * j + 1] = s * x0 + c * x1;
                }
            }
        }
    }

    @Override
    public float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim) {
        return attention(q, k, v, tokens, heads, headDim, new float[tokens * heads * headDim]);
    }

    @Override
    public float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim, float[] out) {
        int width = heads * headDim;
        checkLength("attention q", q, (long) tokens * width);
        checkLength("attention k", k, (long) tokens * width);
        checkLength("attention v", v, (long) tokens * width);
        checkLength("attention output", out, (long) tokens * width);
        CpuAttention.attention(q, k, v, tokens, heads, headDim, out, scratch);
        return out;
    }

    @Override
    public float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim, AttentionBias bias,
                             float[] out) {
        int width = heads * headDim;
        checkLength("attention q", q, (long) tokens * width);
        checkLength("attention k", k, (long) tokens * width);
        checkLength("attention v", v, (long) tokens * width);
        checkLength("attention output", out, (long) tokens * width);
        if (bias.relative() != null) checkLength("attention bias", bias.relative(), (long) heads * (2 * tokens - 1));
        CpuAttention.attention(q, k, v, tokens, heads, headDim, bias, out, scratch);
        return out;
    }

    private static void checkLength(String what, float[] array, long needed) {
        Objects.requireNonNull(array, what);
        if (array.length < needed) {
            throw new IllegalArgumentException(what + " has " + array.length + " values, needs " + needed);
        }
    }
}
