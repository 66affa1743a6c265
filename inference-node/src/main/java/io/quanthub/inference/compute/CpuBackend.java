package io.quanthub.inference.compute;

import jdk.incubator.vector.FloatVector;

import java.util.Objects;
import java.util.concurrent.ForkJoinPool;
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
 *
 * <p>Tensors are heap arrays; freed ones go to an {@link ArrayPool} by exact length and come back as the results of
 * later operations, so a Flux forward at 1024 image tokens (~2 GB of G1-humongous activations) reuses the same arrays
 * in every call instead of zeroing, faulting in and collecting them each time. Weights stay memory-mapped.
 */
public final class CpuBackend implements ComputeBackend {
    static final float EPS = 1e-6f;
    /** Values per task of the element-wise activations. */
    private static final int ACTIVATION_CHUNK = 1 << 16;

    /** Attention's per-call copies of keys and values, kept between calls (they are as large as the activations). */
    private final ArrayPool scratch = new ArrayPool(1L << 30);
    /** The arrays of freed tensors, for later results; at most 16 GiB kept. */
    private final ArrayPool arrays = new ArrayPool(16L << 30);

    @Override
    public String description() {
        return "cpu " + (ForkJoinPool.getCommonPoolParallelism() + 1) + " threads, Vector API "
                + FloatVector.SPECIES_PREFERRED.length() + " x float (" + FloatVector.SPECIES_PREFERRED.vectorBitSize()
                + " bits)";
    }

    /** The machine's physical memory (the weights are mapped files the OS pages in; activations live on the heap). */
    @Override
    public long deviceMemoryBytes() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize()
                : Runtime.getRuntime().maxMemory();
    }

    // Edges and storage

    @Override
    public Tensor upload(float[] values, int rows, int cols) {
        float[] a = arrays.take(Math.multiplyExact(rows, cols));
        if (values.length != a.length) {
            arrays.give(a);
            throw new IllegalArgumentException("upload of " + values.length + " values as " + rows + "x" + cols);
        }
        System.arraycopy(values, 0, a, 0, a.length);
        return new CpuTensor(a, rows, cols);
    }

    @Override
    public float[] download(Tensor x) {
        return data(x).clone();
    }

    @Override
    public void free(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null) arrays.give(cpu(t).release());
        }
    }

    @Override
    public void trim() {
        arrays.clear();
    }

    @Override
    public BackendWeight load(Weight stored) {
        return new CpuWeight(stored);
    }

    /**
     * The heap array behind a tensor of this backend, not a copy: for tests and benchmarks that look at storage
     * (which arrays are reused), never for computing.
     */
    public float[] array(Tensor x) {
        return data(x);
    }

    /** A new tensor [rows x cols] with arbitrary contents, from the pool. */
    private CpuTensor allocate(int rows, int cols) {
        return new CpuTensor(arrays.take(Math.multiplyExact(rows, cols)), rows, cols);
    }

    private static CpuTensor cpu(Tensor t) {
        if (t instanceof CpuTensor c) return c;
        throw new IllegalArgumentException("tensor " + t + " belongs to another backend, not the CPU backend");
    }

    private static float[] data(Tensor t) {
        return cpu(Objects.requireNonNull(t, "tensor")).data();
    }

    private static float[] dataOrNull(Tensor t) {
        return t == null ? null : data(t);
    }

    private static Weight weight(BackendWeight w) {
        if (w instanceof CpuWeight c) return c.source();
        throw new IllegalArgumentException("weight " + w.source() + " was loaded by another backend");
    }

    @Override
    public Tensor embedding(BackendWeight table, int[] ids) {
        Weight w = weight(table);
        int dim = w.cols();
        CpuTensor out = allocate(ids.length, dim);
        float[] o = out.data();
        float[] row = new float[dim];
        for (int t = 0; t < ids.length; t++) {
            int id = ids[t];
            if (id < 0 || id >= w.rows()) {
                free(out);
                throw new IllegalArgumentException("token id " + id + " is outside " + w.name() + "'s " + w.rows()
                        + " rows");
            }
            w.dequantizeRows(id, 1, row);
            System.arraycopy(row, 0, o, t * dim, dim);
        }
        return out;
    }

    // Data movement

    @Override
    public Tensor copy(Tensor x) {
        CpuTensor out = allocate(x.rows(), x.cols());
        System.arraycopy(data(x), 0, out.data(), 0, out.data().length);
        return out;
    }

    @Override
    public Tensor columns(Tensor x, int from, int count) {
        if (from < 0 || count < 0 || from + count > x.cols()) {
            throw new IllegalArgumentException("columns " + from + ".." + (from + count) + " of " + x);
        }
        CpuTensor out = allocate(x.rows(), count);
        Rows.columns(data(x), x.rows(), x.cols(), from, count, out.data());
        return out;
    }

    @Override
    public Tensor rows(Tensor x, int from, int count) {
        if (from < 0 || count < 0 || from + count > x.rows()) {
            throw new IllegalArgumentException("rows " + from + ".." + (from + count) + " of " + x);
        }
        CpuTensor out = allocate(count, x.cols());
        Rows.rows(data(x), x.cols(), from, count, out.data());
        return out;
    }

    @Override
    public Tensor concatRows(Tensor a, Tensor b) {
        if (a.cols() != b.cols()) throw new IllegalArgumentException("cannot stack rows of " + a + " and " + b);
        CpuTensor out = allocate(a.rows() + b.rows(), a.cols());
        Rows.concatRows(data(a), data(b), out.data());
        return out;
    }

    @Override
    public Tensor concatColumns(Tensor a, Tensor b) {
        if (a.rows() != b.rows()) throw new IllegalArgumentException("cannot join columns of " + a + " and " + b);
        CpuTensor out = allocate(a.rows(), a.cols() + b.cols());
        Rows.concatColumns(data(a), a.cols(), data(b), b.cols(), a.rows(), out.data());
        return out;
    }

    @Override
    public Tensor transpose(Tensor x) {
        CpuTensor out = allocate(x.cols(), x.rows());
        Rows.transpose(data(x), x.rows(), x.cols(), out.data());
        return out;
    }

    // Transformer operations

    @Override
    public Tensor matmul(Tensor x, BackendWeight w, Tensor bias) {
        if (x.cols() != w.cols()) {
            throw new IllegalArgumentException("matmul input for " + w.source().name() + " has rows of " + x.cols()
                    + " values, needs " + w.cols());
        }
        CpuTensor out = allocate(x.rows(), w.rows());
        matmul(data(x), x.rows(), weight(w), dataOrNull(bias), out.data());
        return out;
    }

    /** {@link CpuMatmul} on arrays, shapes checked: the kernel behind {@link #matmul} and {@link #conv2d}. */
    static float[] matmul(float[] x, int tokens, Weight w, float[] bias, float[] out) {
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
    public Tensor layerNorm(Tensor x, float eps, Tensor weight, Tensor bias) {
        int tokens = x.rows();
        int dim = x.cols();
        CpuTensor result = allocate(tokens, dim);
        float[] out = normalize(data(x), tokens, dim, eps, result.data());
        if (weight == null && bias == null) return result;
        float[] w = data(weight);
        float[] b = data(bias);
        checkLength("layerNorm weight", w, dim);
        checkLength("layerNorm bias", b, dim);
        for (int t = 0; t < tokens; t++) {
            int off = t * dim;
            for (int i = 0; i < dim; i++) out[off + i] = out[off + i] * w[i] + b[i];
        }
        return result;
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
    public void rmsNorm(Tensor t, int dim, Tensor scaleTensor) {
        float[] x = data(t);
        float[] scale = data(scaleTensor);
        if (dim <= 0 || t.size() % dim != 0) throw new IllegalArgumentException("rmsNorm over " + dim + " of " + t);
        int rows = Math.toIntExact(t.size() / dim);
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
    public void modulate(Tensor t, Tensor shiftTensor, Tensor scaleTensor) {
        float[] x = data(t);
        float[] shift = data(shiftTensor);
        float[] scale = data(scaleTensor);
        int tokens = t.rows();
        int dim = shift.length;
        checkLength("modulate input", x, (long) tokens * dim);
        checkLength("modulate scale", scale, dim);
        for (int r = 0; r < tokens; r++) {
            int off = r * dim;
            for (int i = 0; i < dim; i++) x[off + i] = (1f + scale[i]) * x[off + i] + shift[i];
        }
    }

    @Override
    public void addGated(Tensor t, Tensor gateTensor, Tensor yTensor) {
        float[] x = data(t);
        float[] gate = data(gateTensor);
        float[] y = data(yTensor);
        int tokens = t.rows();
        int dim = gate.length;
        checkLength("residual", x, (long) tokens * dim);
        checkLength("gated update", y, (long) tokens * dim);
        for (int r = 0; r < tokens; r++) {
            int off = r * dim;
            for (int i = 0; i < dim; i++) x[off + i] += gate[i] * y[off + i];
        }
    }

    @Override
    public void add(Tensor t, Tensor yTensor) {
        float[] x = data(t);
        float[] y = data(yTensor);
        checkLength("addend", y, x.length);
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }

    @Override
    public void multiply(Tensor t, Tensor yTensor) {
        float[] x = data(t);
        float[] y = data(yTensor);
        checkLength("factor", y, x.length);
        for (int i = 0; i < x.length; i++) x[i] *= y[i];
    }

    @Override
    public void gelu(Tensor t) {
        float[] x = data(t);
        activation(x, x.length, true);
    }

    @Override
    public void silu(Tensor t) {
        float[] x = data(t);
        activation(x, x.length, false);
    }

    @Override
    public void quickGelu(Tensor t) {
        float[] x = data(t);
        for (int i = 0; i < x.length; i++) x[i] = x[i] / (1f + VectorMath.exp(-1.702f * x[i]));
    }

    /** GELU or SiLU on {@code x[0 .. n)}, in chunks across threads (each value on its own: any split gives the same). */
    static void activation(float[] x, int n, boolean gelu) {
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
    public void rope(Tensor t, int heads, Tensor cosTensor, Tensor sinTensor) {
        float[] x = data(t);
        float[] cos = data(cosTensor);
        float[] sin = data(sinTensor);
        int tokens = t.rows();
        int headDim = t.cols() / heads;
        int pairs = headDim / 2;
        if (cosTensor.cols() != pairs || cosTensor.rows() != tokens || sinTensor.size() != cosTensor.size()
                || headDim * heads != t.cols()) {
            throw new IllegalArgumentException("rope table for " + cosTensor.rows() + " tokens x " + cosTensor.cols()
                    + " pairs applied to " + t + " in " + heads + " heads");
        }
        for (int r = 0; r < tokens; r++) {
            for (int h = 0; h < heads; h++) {
                int off = (r * heads + h) * headDim;
                for (int j = 0; j < pairs; j++) {
                    float c = cos[r * pairs + j];
                    float s = sin[r * pairs + j];
                    float x0 = x[off + 2 * j];
                    float x1 = x[off + 2 * j + 1];
                    x[off + 2 * j] = c * x0 - s * x1;
                    x[off + 2 * j + 1] = s * x0 + c * x1;
                }
            }
        }
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads) {
        CpuTensor out = attentionOutput(q, k, v, heads);
        CpuAttention.attention(data(q), data(k), data(v), q.rows(), heads, q.cols() / heads, out.data(), scratch);
        return out;
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, AttentionBias bias) {
        CpuTensor out = attentionOutput(q, k, v, heads);
        int tokens = q.rows();
        if (bias.relative() != null) checkLength("attention bias", bias.relative(), (long) heads * (2 * tokens - 1));
        CpuAttention.attention(data(q), data(k), data(v), tokens, heads, q.cols() / heads, bias, out.data(), scratch);
        return out;
    }

    private CpuTensor attentionOutput(Tensor q, Tensor k, Tensor v, int heads) {
        if (q.cols() % heads != 0 || k.rows() != q.rows() || v.rows() != q.rows() || k.cols() != q.cols()
                || v.cols() != q.cols()) {
            throw new IllegalArgumentException("attention of q " + q + ", k " + k + ", v " + v + " in " + heads
                    + " heads");
        }
        return allocate(q.rows(), q.cols());
    }

    // Image operations

    @Override
    public Tensor conv2d(Tensor x, int height, int width, BackendWeight w, Tensor bias) {
        float[] y = CpuImageOps.conv2d(data(x), height, width, weight(w), dataOrNull(bias));
        return new CpuTensor(y, y.length / Math.multiplyExact(height, width), height * width);
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias) {
        CpuImageOps.groupNorm(data(x), x.rows(), x.cols(), groups, data(weight), data(bias), EPS);
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x, int height, int width) {
        float[] y = CpuImageOps.upsampleNearest2x(data(x), x.rows(), height, width);
        return new CpuTensor(y, x.rows(), 4 * height * width);
    }

    private static void checkLength(String what, float[] array, long needed) {
        Objects.requireNonNull(array, what);
        if (array.length < needed) {
            throw new IllegalArgumentException(what + " has " + array.length + " values, needs " + needed);
        }
    }
}
