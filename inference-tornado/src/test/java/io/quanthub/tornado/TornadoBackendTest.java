package io.quanthub.tornado;

import io.quanthub.gguf.GgmlType;
import io.quanthub.inference.compute.AttentionBias;
import io.quanthub.inference.compute.BackendProvider;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.compute.Tensor;
import io.quanthub.inference.compute.Weight;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.function.Function;

import static io.quanthub.tornado.MatmulKernelsTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@link ComputeBackend} operation through {@link TornadoBackend} against {@link CpuBackend}, on odd shapes,
 * recorded and run as the backend runs them (several operations per plan, results read back only by download).
 */
class TornadoBackendTest {
    private static final TornadoBackend DEVICE = new TornadoBackend();
    private static final CpuBackend CPU = new CpuBackend();
    private final Random random = new Random(7);

    @AfterAll
    static void close() {
        DEVICE.close();
    }

    /** Runs {@code ops} on both backends (each given its own uploads of {@code inputs}) and compares the results. */
    private void compare(String what, float tolerance, float[][] inputs, int[][] shapes,
                         Function<Run, Tensor> ops) {
        float[] expected = run(CPU, inputs, shapes, ops);
        float[] actual = run(DEVICE, inputs, shapes, ops);
        assertClose(expected, actual, tolerance, what);
    }

    record Run(ComputeBackend backend, Tensor[] in) {
    }

    private static float[] run(ComputeBackend backend, float[][] inputs, int[][] shapes, Function<Run, Tensor> ops) {
        Tensor[] in = new Tensor[inputs.length];
        for (int i = 0; i < in.length; i++) in[i] = backend.upload(inputs[i], shapes[i][0], shapes[i][1]);
        Tensor out = ops.apply(new Run(backend, in));
        float[] values = backend.download(out);
        backend.free(out);
        backend.free(in);
        return values;
    }

    private float[] gaussian(int n, float sigma) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian() * sigma;
        return v;
    }

    @Test
    void dataMovement() {
        float[] a = gaussian(7 * 13, 1f);
        float[] b = gaussian(5 * 13, 1f);
        float[] c = gaussian(7 * 3, 1f);
        int[][] shapes = {{7, 13}, {5, 13}, {7, 3}};
        float[][] in = {a, b, c};
        compare("copy", 0f, in, shapes, r -> r.backend().copy(r.in()[0]));
        compare("columns", 0f, in, shapes, r -> r.backend().columns(r.in()[0], 4, 6));
        compare("rows", 0f, in, shapes, r -> r.backend().rows(r.in()[0], 2, 3));
        compare("concatRows", 0f, in, shapes, r -> r.backend().concatRows(r.in()[0], r.in()[1]));
        compare("concatColumns", 0f, in, shapes, r -> r.backend().concatColumns(r.in()[0], r.in()[2]));
        compare("transpose", 0f, in, shapes, r -> r.backend().transpose(r.in()[0]));
        // A chain: slices of a product of data movement, all in one recording.
        compare("chain", 0f, in, shapes, r -> {
            ComputeBackend be = r.backend();
            Tensor joined = be.concatColumns(r.in()[0], r.in()[2]);
            Tensor t = be.transpose(joined);
            Tensor s = be.rows(t, 3, 9);
            be.free(joined, t);
            return s;
        });
        Tensor x = DEVICE.upload(a, 7, 13);
        assertThrows(IllegalArgumentException.class, () -> DEVICE.columns(x, 10, 4));
        assertThrows(IllegalArgumentException.class, () -> DEVICE.concatRows(x, DEVICE.upload(c, 7, 3)));
        DEVICE.free(x);
        assertThrows(IllegalArgumentException.class, () -> DEVICE.download(x), "a freed tensor");
    }

    @Test
    void elementwiseAndNorms() {
        int rows = 11;
        int dim = 29;
        float[] x = gaussian(rows * dim, 2f);
        float[] y = gaussian(rows * dim, 1f);
        float[] v1 = gaussian(dim, 1f);
        float[] v2 = gaussian(dim, 1f);
        int[][] shapes = {{rows, dim}, {rows, dim}, {1, dim}, {1, dim}};
        float[][] in = {x, y, v1, v2};
        compare("add", 1e-6f, in, shapes, r -> inPlace(r, t -> r.backend().add(t, r.in()[1])));
        compare("multiply", 1e-6f, in, shapes, r -> inPlace(r, t -> r.backend().multiply(t, r.in()[1])));
        compare("gelu", 1e-5f, in, shapes, r -> inPlace(r, t -> r.backend().gelu(t)));
        compare("silu", 1e-5f, in, shapes, r -> inPlace(r, t -> r.backend().silu(t)));
        compare("quickGelu", 1e-5f, in, shapes, r -> inPlace(r, t -> r.backend().quickGelu(t)));
        compare("modulate", 1e-5f, in, shapes, r -> inPlace(r, t -> r.backend().modulate(t, r.in()[2], r.in()[3])));
        compare("addGated", 1e-5f, in, shapes, r -> inPlace(r, t -> r.backend().addGated(t, r.in()[2], r.in()[1])));
        compare("rmsNorm", 1e-5f, in, shapes, r -> inPlace(r, t -> r.backend().rmsNorm(t, dim, r.in()[2])));
        compare("layerNorm", 1e-4f, in, shapes, r -> r.backend().layerNorm(r.in()[0], 1e-6f, null, null));
        compare("layerNorm affine", 1e-4f, in, shapes,
                r -> r.backend().layerNorm(r.in()[0], 1e-5f, r.in()[2], r.in()[3]));
    }

    /** A copy of input 0 with {@code op} applied in place. */
    private static Tensor inPlace(Run r, java.util.function.Consumer<Tensor> op) {
        Tensor t = r.backend().copy(r.in()[0]);
        op.accept(t);
        return t;
    }

    @Test
    void ropeAndAttention() {
        int tokens = 17;
        int heads = 3;
        int headDim = 10;
        int width = heads * headDim;
        float[] q = gaussian(tokens * width, 2f);
        float[] k = gaussian(tokens * width, 2f);
        float[] v = gaussian(tokens * width, 1f);
        float[] cos = new float[tokens * headDim / 2];
        float[] sin = new float[cos.length];
        for (int i = 0; i < cos.length; i++) {
            double angle = random.nextDouble() * 2 * Math.PI;
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
        int[][] shapes = {{tokens, width}, {tokens, width}, {tokens, width}, {tokens, headDim / 2},
                {tokens, headDim / 2}};
        float[][] in = {q, k, v, cos, sin};
        compare("rope", 1e-6f, in, shapes, r -> inPlace(r, t -> r.backend().rope(t, heads, r.in()[3], r.in()[4])));
        compare("attention", 1e-5f, in, shapes, r -> r.backend().attention(r.in()[0], r.in()[1], r.in()[2], heads));
        compare("causal attention", 1e-5f, in, shapes, r -> r.backend().attention(r.in()[0], r.in()[1], r.in()[2],
                heads, AttentionBias.causal(headDim)));
        float[] relative = gaussian(heads * (2 * tokens - 1), 1f);
        compare("T5 attention", 1e-5f, in, shapes, r -> r.backend().attention(r.in()[0], r.in()[1], r.in()[2],
                heads, AttentionBias.relative(relative)));
        // The causal mask changes the result: the comparison above is not blind to it.
        float[] plain = run(DEVICE, in, shapes, r -> r.backend().attention(r.in()[0], r.in()[1], r.in()[2], heads));
        float[] causal = run(DEVICE, in, shapes, r -> r.backend().attention(r.in()[0], r.in()[1], r.in()[2], heads,
                AttentionBias.causal(headDim)));
        assertFalse(Arrays.equals(plain, causal));
    }

    @Test
    void matmulEmbeddingAndConvolutionInStoredTypes() {
        int tokens = 7;
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_K}) {
            int cols = type.blockSize == 1 ? 45 : 2 * type.blockSize;
            Weight w = MatmulKernelsTest.randomWeight(type, 19, cols, random);
            float[] x = gaussian(tokens * cols, 1f);
            float[] bias = gaussian(19, 1f);
            int[][] shapes = {{tokens, cols}, {1, 19}};
            compare("matmul " + type, 1e-4f, new float[][] {x, bias}, shapes,
                    r -> r.backend().matmul(r.in()[0], r.backend().load(w), r.in()[1]));
            compare("matmul " + type + " no bias", 1e-4f, new float[][] {x, bias}, shapes,
                    r -> r.backend().matmul(r.in()[0], r.backend().load(w), null));
            int[] ids = {3, 0, 18, 3, 7};
            compare("embedding " + type, 0f, new float[][] {x}, new int[][] {{tokens, cols}},
                    r -> r.backend().embedding(r.backend().load(w), ids));
        }
        assertThrows(IllegalArgumentException.class, () -> DEVICE.embedding(
                DEVICE.load(MatmulKernelsTest.randomWeight(GgmlType.F32, 3, 4, random)), new int[] {3}));

        int in = 5;
        int out = 6;
        int height = 7;
        int width = 9;
        float[] image = gaussian(in * height * width, 1f);
        float[] bias = gaussian(out, 1f);
        int[][] shapes = {{in, height * width}, {1, out}};
        for (int k : new int[] {1, 3}) {
            Weight matrix = MatmulKernelsTest.randomWeight(GgmlType.F32, out, in * k * k, random);
            Weight kernel = new Weight("conv", GgmlType.F32, k == 1 ? new long[] {out, in} : new long[] {out, in, k, k},
                    matrix.data());
            compare("conv2d k=" + k, 1e-4f, new float[][] {image, bias}, shapes,
                    r -> r.backend().conv2d(r.in()[0], height, width, r.backend().load(kernel), r.in()[1]));
        }
        // Stored types: a 3x3 kernel in BF16 and a 1x1 kernel in Q8_0 (32 input channels make whole blocks; a
        // quantized [out, in, 3, 3] tensor cannot exist, its rows of 3 values are not blocks).
        Weight bf16 = MatmulKernelsTest.randomWeight(GgmlType.BF16, out, in * 9, random);
        Weight bf16Kernel = new Weight("conv.bf16", GgmlType.BF16, new long[] {out, in, 3, 3}, bf16.data());
        compare("conv2d BF16", 1e-4f, new float[][] {image, bias}, shapes,
                r -> r.backend().conv2d(r.in()[0], height, width, r.backend().load(bf16Kernel), r.in()[1]));
        int channels = 32;
        float[] wide = gaussian(channels * height * width, 1f);
        Weight q8Kernel = MatmulKernelsTest.randomWeight(GgmlType.Q8_0, out, channels, random);
        compare("conv2d Q8_0", 1e-4f, new float[][] {wide, bias}, new int[][] {{channels, height * width}, {1, out}},
                r -> r.backend().conv2d(r.in()[0], height, width, r.backend().load(q8Kernel), r.in()[1]));
    }

    @Test
    void imageOperations() {
        int channels = 12;
        int height = 5;
        int width = 7;
        float[] x = gaussian(channels * height * width, 2f);
        float[] weight = gaussian(channels, 1f);
        float[] bias = gaussian(channels, 1f);
        int[][] shapes = {{channels, height * width}, {1, channels}, {1, channels}};
        float[][] in = {x, weight, bias};
        compare("groupNorm", 1e-4f, in, shapes, r -> inPlace(r, t -> r.backend().groupNorm(t, 4, r.in()[1], r.in()[2])));
        compare("upsample", 0f, in, shapes, r -> r.backend().upsampleNearest2x(r.in()[0], height, width));
    }

    /**
     * 250 chained operations (three task graphs, tensors passed between them on the device, one of them from the
     * first graph to the last), then the same calls again: they get the same arrays from the pool, and the plan is
     * re-executed with the same bytes; then results of one flush feed the next.
     */
    @Test
    void longRecordingsAndCachedPlans() {
        int rows = 5;
        int cols = 23;
        float[] x = gaussian(rows * cols, 1f);
        float[] y = gaussian(rows * cols, 0.1f);
        float[][] in = {x, y};
        int[][] shapes = {{rows, cols}, {rows, cols}};
        Function<Run, Tensor> chain = r -> {
            ComputeBackend be = r.backend();
            Tensor t = be.copy(r.in()[0]);
            Tensor kept = be.copy(r.in()[1]);
            for (int i = 0; i < 124; i++) {
                be.add(t, kept);
                Tensor next = i % 2 == 0 ? be.transpose(t) : be.copy(t);
                if (i % 2 == 0) {
                    Tensor back = be.transpose(next);
                    be.free(next);
                    next = back;
                }
                be.free(t);
                t = next;
                if (i == 60) be.silu(kept);
            }
            be.free(kept);
            return t;
        };
        float[] expected = run(CPU, in, shapes, chain);
        float[] first = run(DEVICE, in, shapes, chain);
        assertClose(expected, first, 1e-5f, "250 operations");
        int plans = DEVICE.plansCompiled();
        float[] again = run(DEVICE, in, shapes, chain);
        assertEquals(plans, DEVICE.plansCompiled(), "the repeated calls compiled a plan");
        assertArrayEquals(first, again, "the cached plan's result");

        // Results of one flush feed the next.
        Tensor a = DEVICE.upload(x, rows, cols);
        Tensor b = DEVICE.copy(a);
        DEVICE.gelu(b);
        float[] geluX = DEVICE.download(b);
        DEVICE.add(b, a);
        float[] sum = DEVICE.download(b);
        for (int i = 0; i < sum.length; i++) assertEquals(geluX[i] + x[i], sum[i], 1e-6f);
        assertArrayEquals(x, DEVICE.download(a), "a tensor no operation wrote");
        DEVICE.free(a, b);
    }

    @Test
    void providerFindsTheDevices() {
        BackendProvider provider = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("tornado")).findFirst().orElseThrow();
        ComputeBackend backend = provider.open(null);
        assertTrue(backend.description().startsWith("tornado "), backend.description());
        assertTrue(backend.deviceMemoryBytes() > 0);
        ComputeBackend first = provider.open("0");
        assertTrue(first.description().startsWith("tornado "), first.description());
        ComputeBackend explicit = provider.open("0:0");
        assertEquals(first.description(), explicit.description());
        var e = assertThrows(IllegalArgumentException.class, () -> provider.open("0:99"));
        assertTrue(e.getMessage().contains("0:99"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> provider.open("gpu"));
        ((TornadoBackend) first).close();
        ((TornadoBackend) explicit).close();
        ((TornadoBackend) backend).close();
    }
}
