package io.quanthub.tornado;

import io.quanthub.gguf.GgmlType;
import io.quanthub.inference.compute.RopeTable;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The kernels run from host arrays: each call copies its inputs to TornadoVM's default device, runs one task graph and
 * copies the result back. The operations and their arguments are the CPU backend's ({@code ComputeBackend}), so
 * tests compare the two directly; the device-resident backend built on these kernels keeps its tensors on the
 * device between operations instead.
 */
public final class TornadoOps {
    static final float EPS = 1e-6f;
    private static final AtomicInteger GRAPHS = new AtomicInteger();

    private final FloatArray fp16 = HalfTables.fp16();
    private final FloatArray bf16 = HalfTables.bf16();
    private final FloatArray codebook = LegacyBlocks.codebook();

    /** {@code x [tokens x w.cols()] * w^T + bias}: [tokens x w.rows()]. */
    public float[] matmul(float[] x, int tokens, DeviceWeight w, float[] bias) {
        if (x.length != (long) tokens * w.cols()) {
            throw new IllegalArgumentException("matmul input has " + x.length + " values, expected " + tokens
                    + " tokens x " + w.cols() + " for " + w.weight());
        }
        if (bias != null && bias.length != w.rows()) {
            throw new IllegalArgumentException("matmul bias has " + bias.length + " values, expected " + w.rows()
                    + " for " + w.weight());
        }
        FloatArray in = FloatArray.fromArray(x);
        FloatArray out = new FloatArray(tokens * w.rows());
        TaskGraph g = graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, in);
        GridScheduler grids = addMatmul(g, in, tokens, w, bias, out);
        run(g.transferToHost(DataTransferMode.EVERY_EXECUTION, out), grids);
        return out.toHeapArray();
    }

    /**
     * Adds the matmul task of the weight's type, reading {@code x} and writing {@code out}, both on the device.
     *
     * @return the work-group grid of the (tiled) kernel, for the execution plan
     */
    GridScheduler addMatmul(TaskGraph g, FloatArray x, int tokens, DeviceWeight w, float[] bias, FloatArray out) {
        FloatArray b = bias == null ? new FloatArray(1) : FloatArray.fromArray(bias);
        String id = "matmul";
        IntArray layout = LegacyBlocks.supports(w.weight().type()) ? LegacyBlocks.layout(w.weight().type()) : null;
        // Weights, tables and bias do not change between executions of a graph: copied once.
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, w.data(), b, fp16, bf16, codebook);
        if (layout != null) g.transferToDevice(DataTransferMode.FIRST_EXECUTION, layout);
        addMatmulTask(g, id, x, tokens, w, b, bias == null ? 0 : 1, out, fp16, bf16, codebook, layout);
        return new GridScheduler(g.getTaskGraphName() + "." + id, TiledMatmulKernels.grid(tokens, w.rows()));
    }

    /**
     * Adds the tiled matmul task of the weight's stored type as {@code id}, declaring no transfers: the caller has
     * made every argument present on the device. {@code layout} is {@link LegacyBlocks#layout} for the 32-value block
     * types, else unused; the task needs the grid {@link TiledMatmulKernels#grid}{@code (tokens, w.rows())}.
     */
    static void addMatmulTask(TaskGraph g, String id, FloatArray x, int tokens, DeviceWeight w, FloatArray b,
                              int hasBias, FloatArray out, FloatArray fp16, FloatArray bf16, FloatArray codebook,
                              IntArray layout) {
        int in = w.cols();
        int outDim = w.rows();
        GgmlType type = w.weight().type();
        switch (type) {
            case F32 -> g.task(id, TiledMatmulKernels::f32, new KernelContext(), x, (FloatArray) w.data(), b, out,
                    tokens, in, outDim, hasBias);
            case F16, BF16 -> g.task(id, TiledMatmulKernels::sixteenBit, new KernelContext(), x, (ShortArray) w.data(),
                    type == GgmlType.F16 ? fp16 : bf16, b, out, tokens, in, outDim, hasBias);
            case Q2_K -> g.task(id, TiledMatmulKernels::q2k, new KernelContext(), x, bytes(w), fp16, codebook, b, out,
                    tokens, in, outDim, hasBias);
            case Q3_K -> g.task(id, TiledMatmulKernels::q3k, new KernelContext(), x, bytes(w), fp16, codebook, b, out,
                    tokens, in, outDim, hasBias);
            case Q4_K -> g.task(id, TiledMatmulKernels::q4k, new KernelContext(), x, bytes(w), fp16, codebook, b, out,
                    tokens, in, outDim, hasBias);
            case Q5_K -> g.task(id, TiledMatmulKernels::q5k, new KernelContext(), x, bytes(w), fp16, codebook, b, out,
                    tokens, in, outDim, hasBias);
            case Q6_K -> g.task(id, TiledMatmulKernels::q6k, new KernelContext(), x, bytes(w), fp16, codebook, b, out,
                    tokens, in, outDim, hasBias);
            case IQ4_XS -> g.task(id, TiledMatmulKernels::iq4xs, new KernelContext(), x, bytes(w), fp16, codebook, b,
                    out, tokens, in, outDim, hasBias);
            default -> g.task(id, TiledMatmulKernels::legacy, new KernelContext(), x, bytes(w), layout, fp16, codebook,
                    b, out, tokens, in, outDim, hasBias);
        }
    }

    private static ByteArray bytes(DeviceWeight w) {
        return (ByteArray) w.data();
    }

    /** LayerNorm without affine parameters, eps 1e-6. */
    public float[] layerNorm(float[] x, int tokens, int dim) {
        FloatArray in = FloatArray.fromArray(x);
        FloatArray out = new FloatArray(tokens * dim);
        run(graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, in)
                .task("layerNorm", NormKernels::layerNorm, in, out, tokens, dim, EPS)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out));
        return out.toHeapArray();
    }

    /** RMSNorm in place, times {@code scale} [dim], eps 1e-6. */
    public void rmsNorm(float[] x, int rows, int dim, float[] scale) {
        FloatArray data = FloatArray.fromArray(x);
        FloatArray s = FloatArray.fromArray(scale);
        run(graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, data, s)
                .task("rmsNorm", NormKernels::rmsNorm, data, s, rows, dim, EPS)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, data));
        copyBack(data, x);
    }

    /** GroupNorm in place on [channels x spatial], eps 1e-6. */
    public void groupNorm(float[] x, int channels, int spatial, int groups, float[] weight, float[] bias) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException(channels + " channels cannot form " + groups + " groups");
        }
        FloatArray data = FloatArray.fromArray(x);
        FloatArray w = FloatArray.fromArray(weight);
        FloatArray b = FloatArray.fromArray(bias);
        run(graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, data, w, b)
                .task("groupNorm", NormKernels::groupNorm, data, w, b, channels, spatial, groups, EPS)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, data));
        copyBack(data, x);
    }

    /** {@code x = (1 + scale) * x + shift} in place, per row of {@code shift.length}. */
    public void modulate(float[] x, int tokens, float[] shift, float[] scale) {
        FloatArray data = FloatArray.fromArray(x);
        FloatArray sh = FloatArray.fromArray(shift);
        FloatArray sc = FloatArray.fromArray(scale);
        run(graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, data, sh, sc)
                .task("modulate", ModulationKernels::modulate, data, sh, sc, tokens, shift.length)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, data));
        copyBack(data, x);
    }

    /** {@code x += gate * y} in place, per row of {@code gate.length}. */
    public void addGated(float[] x, int tokens, float[] gate, float[] y) {
        FloatArray data = FloatArray.fromArray(x);
        FloatArray g = FloatArray.fromArray(gate);
        FloatArray update = FloatArray.fromArray(y);
        run(graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, data, g, update)
                .task("addGated", ModulationKernels::addGated, data, g, update, tokens, gate.length)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, data));
        copyBack(data, x);
    }

    /** Tanh-GELU in place on {@code x[0 .. n)}. */
    public void gelu(float[] x, int n) {
        FloatArray data = FloatArray.fromArray(x);
        run(graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, data)
                .task("gelu", ActivationKernels::gelu, data, n)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, data));
        copyBack(data, x);
    }

    /** SiLU in place on {@code x[0 .. n)}. */
    public void silu(float[] x, int n) {
        FloatArray data = FloatArray.fromArray(x);
        run(graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, data)
                .task("silu", ActivationKernels::silu, data, n)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, data));
        copyBack(data, x);
    }

    /** Flux's interleaved RoPE in place. */
    public void rope(float[] x, int tokens, int heads, int headDim, RopeTable table) {
        if (table.pairs() != headDim / 2 || table.tokens() != tokens) {
            throw new IllegalArgumentException("rope table for " + table.tokens() + " tokens x " + table.pairs()
                    + " pairs applied to " + tokens + " tokens with head size " + headDim);
        }
        FloatArray data = FloatArray.fromArray(x);
        FloatArray cos = FloatArray.fromArray(table.cos());
        FloatArray sin = FloatArray.fromArray(table.sin());
        run(graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, data, cos, sin)
                .task("rope", RopeKernel::rope, data, cos, sin, tokens, heads, headDim / 2)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, data));
        copyBack(data, x);
    }

    /** Multi-head attention, every query over every key, scale 1/sqrt(headDim). */
    public float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim) {
        FloatArray qa = FloatArray.fromArray(q);
        FloatArray ka = FloatArray.fromArray(k);
        FloatArray va = FloatArray.fromArray(v);
        FloatArray out = new FloatArray(tokens * heads * headDim);
        float scale = (float) (1.0 / Math.sqrt(headDim));
        FloatArray none = new FloatArray(1);
        run(graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, qa, ka, va, none)
                .task("attention", AttentionKernel::attention, qa, ka, va, none, out, tokens, heads, headDim, scale, 0, 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out));
        return out.toHeapArray();
    }

    /**
     * Conv2d, stride 1, "same" padding: im2col, the matmul kernel of the weight's stored type, transpose back to
     * planar, in one task graph (the patches never leave the device).
     *
     * @param w the kernel [out, in, k, k] (or [out, in] for 1x1) uploaded as a matrix [out, in * k * k]
     */
    public float[] conv2d(float[] x, int in, int height, int width, int k, DeviceWeight w, float[] bias) {
        int pixels = height * width;
        int outChannels = w.rows();
        if (w.cols() != in * k * k || x.length != in * pixels) {
            throw new IllegalArgumentException("conv " + w.weight().name() + " of " + w.rows() + "x" + w.cols()
                    + " does not fit " + in + "x" + height + "x" + width + " input with k=" + k);
        }
        FloatArray image = FloatArray.fromArray(x);
        FloatArray patches = new FloatArray(pixels * in * k * k);
        FloatArray rows = new FloatArray(pixels * outChannels);
        FloatArray out = new FloatArray(pixels * outChannels);
        TaskGraph g = graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, image)
                .task("im2col", ImageKernels::im2col, image, patches, in, height, width, k);
        GridScheduler grids = addMatmul(g, patches, pixels, w, bias, rows);
        run(g.task("planar", ImageKernels::transpose, rows, out, pixels, outChannels)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out), grids);
        return out.toHeapArray();
    }

    /** Nearest-neighbour upsampling by 2: [channels x h x w] to [channels x 2h x 2w]. */
    public float[] upsampleNearest2x(float[] x, int channels, int height, int width) {
        FloatArray in = FloatArray.fromArray(x);
        FloatArray out = new FloatArray(x.length * 4);
        run(graph().transferToDevice(DataTransferMode.EVERY_EXECUTION, in)
                .task("upsample", ImageKernels::upsampleNearest2x, in, out, channels, height, width)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out));
        return out.toHeapArray();
    }

    private static TaskGraph graph() {
        return new TaskGraph("g" + GRAPHS.incrementAndGet());
    }

    private static void run(TaskGraph g) {
        run(g, null);
    }

    private static void run(TaskGraph g, GridScheduler grids) {
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot())) {
            if (grids != null) plan.withGridScheduler(grids);
            plan.execute();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("TornadoVM task graph failed: " + e.getMessage(), e);
        }
    }

    private static void copyBack(FloatArray from, float[] to) {
        for (int i = 0; i < to.length; i++) to[i] = from.get(i);
    }
}
