package io.quanthub.inference.compute;

/**
 * A backend that passes every operation to another one: the base for wrappers that watch some operations (time
 * them, record their tensors) and leave the rest alone, so that each overrides only what it watches and none has to
 * follow every change of {@link ComputeBackend}.
 */
public abstract class ForwardingBackend implements ComputeBackend {
    protected final ComputeBackend delegate;

    protected ForwardingBackend(ComputeBackend delegate) {
        this.delegate = delegate;
    }

    @Override
    public String description() {
        return delegate.description();
    }

    @Override
    public long deviceMemoryBytes() {
        return delegate.deviceMemoryBytes();
    }

    @Override
    public Tensor upload(float[] values, int rows, int cols) {
        return delegate.upload(values, rows, cols);
    }

    @Override
    public float[] download(Tensor x) {
        return delegate.download(x);
    }

    @Override
    public void free(Tensor... tensors) {
        delegate.free(tensors);
    }

    @Override
    public BackendWeight load(Weight stored) {
        return delegate.load(stored);
    }

    @Override
    public Tensor embedding(BackendWeight table, int[] ids) {
        return delegate.embedding(table, ids);
    }

    @Override
    public Tensor copy(Tensor x) {
        return delegate.copy(x);
    }

    @Override
    public Tensor columns(Tensor x, int from, int count) {
        return delegate.columns(x, from, count);
    }

    @Override
    public Tensor rows(Tensor x, int from, int count) {
        return delegate.rows(x, from, count);
    }

    @Override
    public Tensor concatRows(Tensor a, Tensor b) {
        return delegate.concatRows(a, b);
    }

    @Override
    public Tensor concatColumns(Tensor a, Tensor b) {
        return delegate.concatColumns(a, b);
    }

    @Override
    public Tensor transpose(Tensor x) {
        return delegate.transpose(x);
    }

    @Override
    public Tensor matmul(Tensor x, BackendWeight w, Tensor bias) {
        return delegate.matmul(x, w, bias);
    }

    @Override
    public Tensor layerNorm(Tensor x, float eps, Tensor weight, Tensor bias) {
        return delegate.layerNorm(x, eps, weight, bias);
    }

    @Override
    public void rmsNorm(Tensor x, int dim, Tensor scale) {
        delegate.rmsNorm(x, dim, scale);
    }

    @Override
    public void modulate(Tensor x, Tensor shift, Tensor scale) {
        delegate.modulate(x, shift, scale);
    }

    @Override
    public void addGated(Tensor x, Tensor gate, Tensor y) {
        delegate.addGated(x, gate, y);
    }

    @Override
    public void add(Tensor x, Tensor y) {
        delegate.add(x, y);
    }

    @Override
    public void multiply(Tensor x, Tensor y) {
        delegate.multiply(x, y);
    }

    @Override
    public void gelu(Tensor x) {
        delegate.gelu(x);
    }

    @Override
    public void silu(Tensor x) {
        delegate.silu(x);
    }

    @Override
    public void quickGelu(Tensor x) {
        delegate.quickGelu(x);
    }

    @Override
    public void rope(Tensor x, int heads, Tensor cos, Tensor sin) {
        delegate.rope(x, heads, cos, sin);
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads) {
        return delegate.attention(q, k, v, heads);
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, AttentionBias bias) {
        return delegate.attention(q, k, v, heads, bias);
    }

    @Override
    public Tensor conv2d(Tensor x, int height, int width, BackendWeight w, Tensor bias) {
        return delegate.conv2d(x, height, width, w, bias);
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias) {
        delegate.groupNorm(x, groups, weight, bias);
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x, int height, int width) {
        return delegate.upsampleNearest2x(x, height, width);
    }

    @Override
    public Tensor upload(float[] values) {
        return delegate.upload(values);
    }

    @Override
    public void trim() {
        delegate.trim();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
