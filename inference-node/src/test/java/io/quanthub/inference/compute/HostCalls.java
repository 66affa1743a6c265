package io.quanthub.inference.compute;

import java.util.Arrays;

/**
 * A backend's single operations on host arrays, for kernel tests: upload the arguments, run, download the result and
 * free every tensor. In-place operations write their result back into the caller's array.
 */
public final class HostCalls {
    private final ComputeBackend backend;

    public HostCalls(ComputeBackend backend) {
        this.backend = backend;
    }

    public float[] matmul(float[] x, int tokens, Weight w, float[] bias) {
        Tensor in = backend.upload(x, tokens, x.length / tokens);
        Tensor b = bias == null ? null : backend.upload(bias);
        try {
            return result(backend.matmul(in, backend.load(w), b));
        } finally {
            backend.free(in, b);
        }
    }

    /** {@link #matmul} after a tensor of the result's size full of NaN was freed: its storage, dirty, may be reused. */
    public float[] matmulAfterDirtyFree(float[] x, int tokens, Weight w, float[] bias) {
        freeDirty(tokens, w.rows());
        return matmul(x, tokens, w, bias);
    }

    public float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim) {
        int width = heads * headDim;
        Tensor tq = backend.upload(q, tokens, width);
        Tensor tk = backend.upload(k, tokens, width);
        Tensor tv = backend.upload(v, tokens, width);
        try {
            return result(backend.attention(tq, tk, tv, heads));
        } finally {
            backend.free(tq, tk, tv);
        }
    }

    public float[] attentionAfterDirtyFree(float[] q, float[] k, float[] v, int tokens, int heads, int headDim) {
        freeDirty(tokens, heads * headDim);
        return attention(q, k, v, tokens, heads, headDim);
    }

    public void rope(float[] x, int tokens, int heads, int headDim, RopeTable table) {
        Tensor cos = backend.upload(table.cos(), table.tokens(), table.pairs());
        Tensor sin = backend.upload(table.sin(), table.tokens(), table.pairs());
        inPlace(x, tokens, heads * headDim, t -> backend.rope(t, heads, cos, sin));
        backend.free(cos, sin);
    }

    public float[] layerNorm(float[] x, int tokens, int dim) {
        Tensor in = backend.upload(x, tokens, dim);
        try {
            return result(backend.layerNorm(in, CpuBackend.EPS, null, null));
        } finally {
            backend.free(in);
        }
    }

    public void rmsNorm(float[] x, int rows, int dim, float[] scale) {
        Tensor s = backend.upload(scale);
        inPlace(x, rows, dim, t -> backend.rmsNorm(t, dim, s));
        backend.free(s);
    }

    public void gelu(float[] x) {
        inPlace(x, 1, x.length, backend::gelu);
    }

    public void silu(float[] x) {
        inPlace(x, 1, x.length, backend::silu);
    }

    public float[] conv2d(float[] x, int height, int width, Weight w, float[] bias) {
        Tensor in = backend.upload(x, x.length / (height * width), height * width);
        Tensor b = bias == null ? null : backend.upload(bias);
        try {
            return result(backend.conv2d(in, height, width, backend.load(w), b));
        } finally {
            backend.free(in, b);
        }
    }

    public void groupNorm(float[] x, int channels, int spatial, int groups, float[] weight, float[] bias) {
        Tensor w = backend.upload(weight);
        Tensor b = backend.upload(bias);
        inPlace(x, channels, spatial, t -> backend.groupNorm(t, groups, w, b));
        backend.free(w, b);
    }

    public float[] upsampleNearest2x(float[] x, int channels, int height, int width) {
        Tensor in = backend.upload(x, channels, height * width);
        try {
            return result(backend.upsampleNearest2x(in, height, width));
        } finally {
            backend.free(in);
        }
    }

    /** {@code x[t] = x[t] * (1 + scale) + shift} for each of the {@code tokens} rows. */
    public void modulate(float[] x, int tokens, float[] shift, float[] scale) {
        Tensor sh = backend.upload(shift);
        Tensor sc = backend.upload(scale);
        inPlace(x, tokens, x.length / tokens, t -> backend.modulate(t, sh, sc));
        backend.free(sh, sc);
    }

    /** {@code x[t] += gate * y[t]} for each of the {@code tokens} rows. */
    public void addGated(float[] x, int tokens, float[] gate, float[] y) {
        Tensor g = backend.upload(gate);
        Tensor ty = backend.upload(y, tokens, y.length / tokens);
        inPlace(x, tokens, x.length / tokens, t -> backend.addGated(t, g, ty));
        backend.free(g, ty);
    }

    private void freeDirty(int rows, int cols) {
        float[] nan = new float[rows * cols];
        Arrays.fill(nan, Float.NaN);
        backend.free(backend.upload(nan, rows, cols));
    }

    private void inPlace(float[] x, int rows, int cols, java.util.function.Consumer<Tensor> op) {
        Tensor t = backend.upload(x, rows, cols);
        try {
            op.accept(t);
            System.arraycopy(backend.download(t), 0, x, 0, x.length);
        } finally {
            backend.free(t);
        }
    }

    private float[] result(Tensor t) {
        try {
            return backend.download(t);
        } finally {
            backend.free(t);
        }
    }
}
