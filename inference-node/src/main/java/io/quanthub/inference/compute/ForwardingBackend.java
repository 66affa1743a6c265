package io.quanthub.inference.compute;

/**
 * A backend that passes every operation to another one: the base for wrappers that watch some operations (time
 * them, record their arrays) and leave the rest alone, so that each overrides only what it watches and none has to
 * follow every change of {@link ComputeBackend}.
 */
public abstract class ForwardingBackend implements ComputeBackend {
    protected final ComputeBackend delegate;

    protected ForwardingBackend(ComputeBackend delegate) {
        this.delegate = delegate;
    }

    @Override
    public float[] matmul(float[] x, int tokens, Weight w, float[] bias) {
        return delegate.matmul(x, tokens, w, bias);
    }

    @Override
    public float[] matmul(float[] x, int tokens, Weight w, float[] bias, float[] out) {
        return delegate.matmul(x, tokens, w, bias, out);
    }

    @Override
    public float[] layerNorm(float[] x, int tokens, int dim) {
        return delegate.layerNorm(x, tokens, dim);
    }

    @Override
    public float[] layerNorm(float[] x, int tokens, int dim, float[] out) {
        return delegate.layerNorm(x, tokens, dim, out);
    }

    @Override
    public void rmsNorm(float[] x, int rows, int dim, float[] scale) {
        delegate.rmsNorm(x, rows, dim, scale);
    }

    @Override
    public void modulate(float[] x, int tokens, float[] shift, float[] scale) {
        delegate.modulate(x, tokens, shift, scale);
    }

    @Override
    public void addGated(float[] x, int tokens, float[] gate, float[] y) {
        delegate.addGated(x, tokens, gate, y);
    }

    @Override
    public void gelu(float[] x, int n) {
        delegate.gelu(x, n);
    }

    @Override
    public void silu(float[] x, int n) {
        delegate.silu(x, n);
    }

    @Override
    public void rope(float[] x, int tokens, int heads, int headDim, RopeTable table) {
        delegate.rope(x, tokens, heads, headDim, table);
    }

    @Override
    public float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim) {
        return delegate.attention(q, k, v, tokens, heads, headDim);
    }

    @Override
    public float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim, float[] out) {
        return delegate.attention(q, k, v, tokens, heads, headDim, out);
    }

    @Override
    public float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim, AttentionBias bias,
                             float[] out) {
        return delegate.attention(q, k, v, tokens, heads, headDim, bias, out);
    }

    @Override
    public float[] layerNorm(float[] x, int tokens, int dim, float eps, float[] weight, float[] bias) {
        return delegate.layerNorm(x, tokens, dim, eps, weight, bias);
    }

    @Override
    public void quickGelu(float[] x, int n) {
        delegate.quickGelu(x, n);
    }

    @Override
    public float[] conv2d(float[] x, int height, int width, Weight w, float[] bias) {
        return delegate.conv2d(x, height, width, w, bias);
    }

    @Override
    public void groupNorm(float[] x, int channels, int spatial, int groups, float[] weight, float[] bias) {
        delegate.groupNorm(x, channels, spatial, groups, weight, bias);
    }

    @Override
    public float[] upsampleNearest2x(float[] x, int channels, int height, int width) {
        return delegate.upsampleNearest2x(x, channels, height, width);
    }
}
