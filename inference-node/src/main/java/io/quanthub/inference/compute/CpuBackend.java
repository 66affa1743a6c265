package io.quanthub.inference.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The CPU backend: SIMD through the Vector API, threads through parallel streams.
 *
 * <p>{@link #matmul} is {@link CpuMatmul}: weight slices dequantized into packed per-thread panels and reused by
 * every token, register-blocked tokens x features; no weight is ever expanded to F32 as a whole.
 *
 * <p>{@link #attention} runs per (head, block of queries) with an online softmax over blocks of keys: the running
 * maximum and sum are rescaled as each key block arrives, so the full score matrix never exists.
 */
public final class CpuBackend implements ComputeBackend {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Queries per attention task and keys per online-softmax step. */
    static final int QUERY_BLOCK = 16;
    static final int KEY_BLOCK = 64;
    static final float EPS = 1e-6f;

    /** Per-thread scratch, grown on demand and kept: worker threads are reused. */
    private static final class Scratch {
        float[] scores = new float[QUERY_BLOCK * KEY_BLOCK];
        float[] acc = new float[0];

        float[] acc(int n) {
            if (acc.length < n) acc = new float[n];
            return acc;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public float[] matmul(float[] x, int tokens, Weight w, float[] bias) {
        int in = w.cols();
        int outDim = w.rows();
        checkLength("matmul input for " + w.name(), x, (long) tokens * in);
        if (bias != null && bias.length != outDim) {
            throw new IllegalArgumentException("bias of " + bias.length + " values for " + w + " with " + outDim
                    + " outputs");
        }
        return CpuMatmul.multiply(x, tokens, w, bias);
    }

    @Override
    public float[] layerNorm(float[] x, int tokens, int dim) {
        checkLength("layerNorm input", x, (long) tokens * dim);
        float[] out = new float[tokens * dim];
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
            float inv = (float) (1.0 / Math.sqrt(squares / dim + EPS));
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
        final float sqrt2OverPi = (float) Math.sqrt(2.0 / Math.PI);
        for (int i = 0; i < n; i++) {
            float v = x[i];
            x[i] = 0.5f * v * (1f + (float) Math.tanh(sqrt2OverPi * (v + 0.044715f * v * v * v)));
        }
    }

    @Override
    public void silu(float[] x, int n) {
        checkLength("silu input", x, n);
        for (int i = 0; i < n; i++) x[i] = (float) (x[i] / (1.0 + Math.exp(-x[i])));
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
        int width = heads * headDim;
        checkLength("attention q", q, (long) tokens * width);
        checkLength("attention k", k, (long) tokens * width);
        checkLength("attention v", v, (long) tokens * width);
        float[] out = new float[tokens * width];
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int queryBlocks = (tokens + QUERY_BLOCK - 1) / QUERY_BLOCK;
        IntStream.range(0, heads * queryBlocks).parallel().forEach(task -> {
            int h = task / queryBlocks;
            int q0 = task % queryBlocks * QUERY_BLOCK;
            int nq = Math.min(QUERY_BLOCK, tokens - q0);
            Scratch s = SCRATCH.get();
            float[] scores = s.scores;
            float[] acc = s.acc(nq * headDim);
            Arrays.fill(acc, 0, nq * headDim, 0f);
            float[] max = new float[nq];
            float[] sum = new float[nq];
            Arrays.fill(max, Float.NEGATIVE_INFINITY);
            for (int k0 = 0; k0 < tokens; k0 += KEY_BLOCK) {
                int nk = Math.min(KEY_BLOCK, tokens - k0);
                for (int i = 0; i < nq; i++) {
                    int qOff = (q0 + i) * width + h * headDim;
                    float blockMax = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < nk; j++) {
                        float score = dot(q, qOff, k, (k0 + j) * width + h * headDim, headDim) * scale;
                        scores[i * KEY_BLOCK + j] = score;
                        blockMax = Math.max(blockMax, score);
                    }
                    // Online softmax: rescale what was accumulated under the old maximum to the new one.
                    float newMax = Math.max(max[i], blockMax);
                    float correction = (float) Math.exp(max[i] - newMax);
                    sum[i] *= correction;
                    scale(acc, i * headDim, headDim, correction);
                    for (int j = 0; j < nk; j++) {
                        float p = (float) Math.exp(scores[i * KEY_BLOCK + j] - newMax);
                        sum[i] += p;
                        axpy(p, v, (k0 + j) * width + h * headDim, acc, i * headDim, headDim);
                    }
                    max[i] = newMax;
                }
            }
            for (int i = 0; i < nq; i++) {
                int oOff = (q0 + i) * width + h * headDim;
                float inv = 1f / sum[i];
                for (int d = 0; d < headDim; d++) out[oOff + d] = acc[i * headDim + d] * inv;
            }
        });
        return out;
    }

    /** {@code sum a[aOff + i] * b[bOff + i]} for i in [0, n). */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /** {@code y[yOff + i] += a * x[xOff + i]} for i in [0, n). */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(F, a);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    private static void scale(float[] x, int off, int n, float factor) {
        for (int i = 0; i < n; i++) x[off + i] *= factor;
    }

    private static void checkLength(String what, float[] array, long needed) {
        Objects.requireNonNull(array, what);
        if (array.length < needed) {
            throw new IllegalArgumentException(what + " has " + array.length + " values, needs " + needed);
        }
    }
}
