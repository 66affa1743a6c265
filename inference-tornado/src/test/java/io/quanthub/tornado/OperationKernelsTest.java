package io.quanthub.tornado;

import io.quanthub.gguf.GgmlType;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.compute.HostCalls;
import io.quanthub.inference.compute.RopeTable;
import io.quanthub.inference.compute.Weight;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.quanthub.tornado.MatmulKernelsTest.assertClose;

/**
 * Every non-matmul kernel on the device against the CPU backend's operation of the same name, on odd shapes (prime
 * token counts and widths) so that no work-group size divides them.
 */
class OperationKernelsTest {
    private static final TornadoOps OPS = new TornadoOps();
    private final HostCalls cpu = new HostCalls(new CpuBackend());
    private final Random random = new Random(11);

    @Test
    void attentionWithOnlineSoftmax() {
        int tokens = 53;
        int heads = 3;
        int headDim = 24;
        float[] q = gaussian(tokens * heads * headDim, 2f);
        float[] k = gaussian(tokens * heads * headDim, 2f);
        float[] v = gaussian(tokens * heads * headDim, 1f);
        assertClose(cpu.attention(q, k, v, tokens, heads, headDim), OPS.attention(q, k, v, tokens, heads, headDim),
                1e-5f, "attention");
    }

    @Test
    void layerNorm() {
        int tokens = 13;
        int dim = 77;
        float[] x = shifted(gaussian(tokens * dim, 3f), 5f);
        assertClose(cpu.layerNorm(x, tokens, dim), OPS.layerNorm(x, tokens, dim), 1e-4f, "layerNorm");
    }

    @Test
    void rmsNorm() {
        int rows = 19;
        int dim = 45;
        float[] x = gaussian(rows * dim, 2f);
        float[] scale = gaussian(dim, 1f);
        float[] expected = x.clone();
        cpu.rmsNorm(expected, rows, dim, scale);
        OPS.rmsNorm(x, rows, dim, scale);
        assertClose(expected, x, 1e-5f, "rmsNorm");
    }

    @Test
    void groupNorm() {
        int channels = 12;
        int spatial = 7 * 11;
        int groups = 4;
        float[] x = shifted(gaussian(channels * spatial, 2f), -3f);
        float[] weight = gaussian(channels, 1f);
        float[] bias = gaussian(channels, 1f);
        float[] expected = x.clone();
        cpu.groupNorm(expected, channels, spatial, groups, weight, bias);
        OPS.groupNorm(x, channels, spatial, groups, weight, bias);
        assertClose(expected, x, 1e-4f, "groupNorm");
    }

    @Test
    void fluxRope() {
        int tokens = 17;
        int heads = 3;
        int headDim = 10;
        int pairs = headDim / 2;
        float[] cos = new float[tokens * pairs];
        float[] sin = new float[tokens * pairs];
        for (int i = 0; i < cos.length; i++) {
            double angle = random.nextDouble() * 2 * Math.PI;
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
        RopeTable table = new RopeTable(tokens, pairs, cos, sin);
        float[] x = gaussian(tokens * heads * headDim, 1f);
        float[] expected = x.clone();
        cpu.rope(expected, tokens, heads, headDim, table);
        OPS.rope(x, tokens, heads, headDim, table);
        assertClose(expected, x, 1e-6f, "rope");
    }

    @Test
    void geluAndSilu() {
        int n = 1001;
        float[] x = gaussian(n, 4f);
        float[] expected = x.clone();
        cpu.gelu(expected);
        float[] actual = x.clone();
        OPS.gelu(actual, n);
        assertClose(expected, actual, 1e-5f, "gelu");
        expected = x.clone();
        cpu.silu(expected);
        actual = x.clone();
        OPS.silu(actual, n);
        assertClose(expected, actual, 1e-5f, "silu");
    }

    @Test
    void modulationAndGates() {
        int tokens = 11;
        int dim = 29;
        float[] x = gaussian(tokens * dim, 1f);
        float[] shift = gaussian(dim, 1f);
        float[] scale = gaussian(dim, 1f);
        float[] expected = x.clone();
        cpu.modulate(expected, tokens, shift, scale);
        float[] actual = x.clone();
        OPS.modulate(actual, tokens, shift, scale);
        assertClose(expected, actual, 1e-6f, "modulate");
        float[] gate = gaussian(dim, 1f);
        float[] y = gaussian(tokens * dim, 1f);
        cpu.addGated(expected, tokens, gate, y);
        OPS.addGated(actual, tokens, gate, y);
        assertClose(expected, actual, 1e-6f, "addGated");
    }

    @Test
    void conv2dInStoredTypes() {
        int in = 5;
        int out = 7;
        int height = 9;
        int width = 13;
        float[] x = gaussian(in * height * width, 1f);
        float[] bias = gaussian(out, 1f);
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
            for (int k : new int[] {1, 3}) {
                Weight matrix = MatmulKernelsTest.randomWeight(type, out, in * k * k, random);
                long[] shape = k == 1 ? new long[] {out, in} : new long[] {out, in, k, k};
                Weight kernel = new Weight("conv", type, shape, matrix.data());
                assertClose(cpu.conv2d(x, height, width, kernel, bias),
                        OPS.conv2d(x, in, height, width, k, DeviceWeight.of(matrix), bias), 1e-4f,
                        "conv2d " + type + " k=" + k);
            }
        }
    }

    @Test
    void nearestUpsampling() {
        int channels = 3;
        int height = 5;
        int width = 7;
        float[] x = gaussian(channels * height * width, 1f);
        assertClose(cpu.upsampleNearest2x(x, channels, height, width),
                OPS.upsampleNearest2x(x, channels, height, width), 0f, "upsample");
    }

    private float[] gaussian(int n, float sigma) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float) random.nextGaussian() * sigma;
        return values;
    }

    private static float[] shifted(float[] values, float by) {
        for (int i = 0; i < values.length; i++) values[i] += by;
        return values;
    }
}
