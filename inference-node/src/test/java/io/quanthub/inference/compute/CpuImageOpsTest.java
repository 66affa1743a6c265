package io.quanthub.inference.compute;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.quant.Quants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The VAE's image operations on the CPU against direct loops in double. */
class CpuImageOpsTest {
    private final HostCalls backend = new HostCalls(new CpuBackend());

    /** Kernel sizes 1 and 3, odd image sides, and a band split (MAX_PATCH_FLOATS forces several im2col bands). */
    @ParameterizedTest(name = "{0} -> {1} channels, k={2}, {3}x{4}")
    @CsvSource({"3, 5, 3, 7, 9", "16, 4, 1, 5, 3", "8, 3, 3, 1, 1", "64, 7, 3, 130, 70"})
    void conv2dEqualsTheDirectSum(int in, int out, int k, int height, int width) {
        Random random = new Random(in * 1000L + out * 10L + k);
        float[] x = gaussian(random, in * height * width);
        float[] kernel = gaussian(random, out * in * k * k);
        float[] bias = gaussian(random, out);
        Weight w = f32("conv", kernel, out, in, k, k);

        float[] y = backend.conv2d(x, height, width, w, bias);

        assertEquals(out * height * width, y.length);
        float[] expected = directConv(x, in, height, width, kernel, out, k, bias);
        for (int i = 0; i < y.length; i++) assertEquals(expected[i], y[i], 1e-4 * (1 + Math.abs(expected[i])), "at " + i);
    }

    /** A quantized 1x1 kernel stored as a matrix [out, in] gives the result of its dequantized values. */
    @Test
    void quantizedPointwiseKernelUsesItsDequantizedValues() {
        int in = 64;
        int out = 6;
        Random random = new Random(7);
        float[] source = gaussian(random, out * in);
        byte[] bytes = new byte[Math.toIntExact(out * GgmlType.Q8_0.rowBytes(in))];
        Quants.of(GgmlType.Q8_0).quantize(source, 0, bytes, 0, out, in, null);
        float[] dequantized = new float[out * in];
        Quants.of(GgmlType.Q8_0).dequantize(bytes, 0, dequantized, 0, out * in);
        Weight w = new Weight("q", GgmlType.Q8_0, new long[] {out, in}, MemorySegment.ofArray(bytes));
        float[] x = gaussian(random, in * 4 * 5);

        float[] y = backend.conv2d(x, 4, 5, w, null);

        float[] expected = directConv(x, in, 4, 5, dequantized, out, 1, new float[out]);
        for (int i = 0; i < y.length; i++) assertEquals(expected[i], y[i], 1e-4 * (1 + Math.abs(expected[i])));
    }

    @Test
    void conv2dRefusesMismatchedInput() {
        Weight w = f32("conv", new float[2 * 3 * 9], 2, 3, 3, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.conv2d(new float[4 * 5 * 5], 5, 5, w, null));
        assertEquals("conv conv input has 100 values, expected 3x5x5", e.getMessage());
    }

    @Test
    void groupNormEqualsTheFormula() {
        int channels = 64;
        int spatial = 37;
        int groups = 32;
        Random random = new Random(3);
        float[] x = gaussian(random, channels * spatial);
        for (int i = 0; i < x.length; i++) x[i] = x[i] * 3 + 5;  // an offset and spread the normalization removes
        float[] weight = gaussian(random, channels);
        float[] bias = gaussian(random, channels);
        float[] y = x.clone();

        backend.groupNorm(y, channels, spatial, groups, weight, bias);

        int perGroup = channels / groups;
        for (int g = 0; g < groups; g++) {
            int from = g * perGroup * spatial;
            int n = perGroup * spatial;
            double mean = 0;
            for (int i = from; i < from + n; i++) mean += x[i];
            mean /= n;
            double variance = 0;
            for (int i = from; i < from + n; i++) variance += (x[i] - mean) * (x[i] - mean);
            variance /= n;
            for (int i = from; i < from + n; i++) {
                int c = i / spatial;
                double expected = (x[i] - mean) / Math.sqrt(variance + 1e-6) * weight[c] + bias[c];
                assertEquals(expected, y[i], 1e-5, "at " + i);
            }
        }
    }

    @Test
    void upsampleRepeatsEachValueInATwoByTwoSquare() {
        float[] x = {1, 2, 3, 4, 5, 6};  // 2 channels of 1x3
        assertArrayEquals(new float[] {
                1, 1, 2, 2, 3, 3,
                1, 1, 2, 2, 3, 3,
                4, 4, 5, 5, 6, 6,
                4, 4, 5, 5, 6, 6}, backend.upsampleNearest2x(x, 2, 1, 3));
    }

    /** Zero-padded "same" convolution, summed in double. */
    private static float[] directConv(float[] x, int in, int height, int width, float[] kernel, int out, int k,
                                      float[] bias) {
        int pad = k / 2;
        float[] y = new float[out * height * width];
        for (int o = 0; o < out; o++) {
            for (int py = 0; py < height; py++) {
                for (int px = 0; px < width; px++) {
                    double sum = bias[o];
                    for (int c = 0; c < in; c++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int sy = py + ky - pad;
                                int sx = px + kx - pad;
                                if (sy < 0 || sy >= height || sx < 0 || sx >= width) continue;
                                sum += (double) x[(c * height + sy) * width + sx]
                                        * kernel[((o * in + c) * k + ky) * k + kx];
                            }
                        }
                    }
                    y[(o * height + py) * width + px] = (float) sum;
                }
            }
        }
        return y;
    }

    static Weight f32(String name, float[] values, long... shape) {
        byte[] bytes = new byte[values.length * 4];
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
        return new Weight(name, GgmlType.F32, shape, MemorySegment.ofArray(bytes));
    }

    private static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
        return v;
    }
}
