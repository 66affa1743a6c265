package io.quanthub.inference.compute;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.quant.Quants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU kernels against plain scalar formulas computed in double. */
class CpuBackendTest {
    private final HostCalls backend = new HostCalls(new CpuBackend());

    /**
     * Every type QuantHub writes, in shapes that exercise each path of {@link CpuMatmul}: the matrix-matrix kernel
     * with a narrow last panel, leftover tokens after blocks of six, several input chunks ending in a short one, and
     * tokens split across tasks; and the matrix-vector path (fewer than six tokens).
     */
    static Stream<Arguments> typesAndShapes() {
        return Quants.supported().stream().flatMap(type -> {
            int block = type.blockSize;
            return Stream.of(
                    Arguments.of(type, 37, 512, 70),
                    Arguments.of(type, 70, 2 * CpuMatmul.KC + Math.max(block, 32), 200),
                    Arguments.of(type, 21, 256, 3));
        });
    }

    /**
     * A weight quantized to {@code type} and multiplied in the kernel equals the straightforward product with the
     * weight dequantized as a whole, computed in double.
     */
    @ParameterizedTest(name = "{0} [{1} x {2}] x {3} tokens")
    @MethodSource("typesAndShapes")
    void matmulEqualsDequantizeThenDot(GgmlType type, int rows, int cols, int tokens) {
        Random random = new Random(type.id * 31L + tokens);
        float[] source = gaussian(random, rows * cols);
        byte[] bytes = new byte[Math.toIntExact(rows * type.rowBytes(cols))];
        Quants.of(type).quantize(source, 0, bytes, 0, rows, cols, null);
        Weight w = new Weight("w", type, new long[] {rows, cols}, MemorySegment.ofArray(bytes));
        float[] dequantized = new float[rows * cols];
        Quants.of(type).dequantize(bytes, 0, dequantized, 0, rows * cols);
        float[] x = gaussian(random, tokens * cols);
        float[] bias = gaussian(random, rows);

        float[] out = backend.matmul(x, tokens, w, bias);

        assertProduct(x, tokens, dequantized, rows, cols, bias, out, type.toString());
    }

    /** Without a bias the product is the plain sum; a weight read from a native (mapped-like) segment works too. */
    @Test
    void matmulWithoutBiasFromNativeMemory() {
        int rows = 40;
        int cols = 96;
        int tokens = 13;
        Random random = new Random(3);
        float[] source = gaussian(random, rows * cols);
        byte[] bytes = new byte[Math.toIntExact(rows * GgmlType.Q8_0.rowBytes(cols))];
        Quants.of(GgmlType.Q8_0).quantize(source, 0, bytes, 0, rows, cols, null);
        float[] dequantized = new float[rows * cols];
        Quants.of(GgmlType.Q8_0).dequantize(bytes, 0, dequantized, 0, rows * cols);
        float[] x = gaussian(random, tokens * cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
            Weight w = new Weight("w", GgmlType.Q8_0, new long[] {rows, cols}, data);
            float[] out = backend.matmul(x, tokens, w, null);
            assertProduct(x, tokens, dequantized, rows, cols, null, out, "native Q8_0");
            // Into a used array (contents ignored): the same bytes.
            assertArrayEquals(out, backend.matmulAfterDirtyFree(x, tokens, w, null));
        }
    }

    /**
     * {@code out} [tokens x rows] is {@code x * dequantized^T + bias} computed in double, to 1e-5 of the sum of the
     * terms' magnitudes (float rounding of sums in another order).
     */
    private static void assertProduct(float[] x, int tokens, float[] dequantized, int rows, int cols, float[] bias,
                                      float[] out, String what) {
        assertEquals(tokens * rows, out.length);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double expected = bias == null ? 0 : bias[r];
                double magnitude = Math.abs(expected);
                for (int i = 0; i < cols; i++) {
                    expected += (double) x[t * cols + i] * dequantized[r * cols + i];
                    magnitude += Math.abs((double) x[t * cols + i] * dequantized[r * cols + i]);
                }
                assertEquals(expected, out[t * rows + r], 1e-5 * magnitude, what + " token " + t + " row " + r);
            }
        }
    }

    /** Head sizes: Flux's 128 (blocks of 4 vectors), flux-tiny's 32, and 20 (a scalar tail on every vector width). */
    @ParameterizedTest
    @ValueSource(ints = {20, 32, 128})
    void attentionEqualsFullSoftmax(int headDim) {
        int tokens = 150;
        int heads = 3;
        Random random = new Random(7);
        float[] q = gaussian(random, tokens * heads * headDim);
        float[] k = gaussian(random, tokens * heads * headDim);
        float[] v = gaussian(random, tokens * heads * headDim);
        for (int i = 0; i < q.length; i++) q[i] *= 3; // peaked softmax: the running maximum matters

        float[] out = backend.attention(q, k, v, tokens, heads, headDim);
        // Into a used array (contents ignored), with the backend's pooled key/value copies reused: the same bytes.
        assertArrayEquals(out, backend.attentionAfterDirtyFree(q, k, v, tokens, heads, headDim));

        int width = heads * headDim;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < tokens; i++) {
                double[] p = new double[tokens];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tokens; j++) {
                    double s = 0;
                    for (int d = 0; d < headDim; d++) s += (double) q[i * width + h * headDim + d] * k[j * width + h * headDim + d];
                    p[j] = s / Math.sqrt(headDim);
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < tokens; j++) sum += p[j] = Math.exp(p[j] - max);
                for (int d = 0; d < headDim; d++) {
                    double expected = 0;
                    for (int j = 0; j < tokens; j++) expected += p[j] / sum * v[j * width + h * headDim + d];
                    assertEquals(expected, out[i * width + h * headDim + d], 1e-5, "head " + h + " query " + i);
                }
            }
        }
    }

    @Test
    void ropeRotatesAdjacentPairs() {
        // One token, one head of 4: pair 0 rotated by 90 degrees, pair 1 by 0.
        RopeTable table = new RopeTable(1, 2, new float[] {0f, 1f}, new float[] {1f, 0f});
        float[] x = {1f, 2f, 3f, 4f};
        backend.rope(x, 1, 1, 4, table);
        assertEquals(-2f, x[0]);
        assertEquals(1f, x[1]);
        assertEquals(3f, x[2]);
        assertEquals(4f, x[3]);
    }

    @Test
    void normsMatchTheirFormulas() {
        float[] x = {1f, 2f, 3f, 6f};
        float[] ln = backend.layerNorm(x, 1, 4);
        double mean = 3;
        double var = (4 + 1 + 0 + 9) / 4.0;
        for (int i = 0; i < 4; i++) assertEquals((x[i] - mean) / Math.sqrt(var + 1e-6), ln[i], 1e-6);

        float[] r = x.clone();
        float[] scale = {1f, 2f, 0.5f, -1f};
        backend.rmsNorm(r, 1, 4, scale);
        double rms = Math.sqrt((1 + 4 + 9 + 36) / 4.0 + 1e-6);
        for (int i = 0; i < 4; i++) assertEquals(x[i] / rms * scale[i], r[i], 1e-6);
    }

    @Test
    void activationsMatchTheirFormulas() {
        float[] g = {-3f, -0.5f, 0f, 0.7f, 4f};
        float[] s = g.clone();
        backend.gelu(g);
        backend.silu(s);
        float[] in = {-3f, -0.5f, 0f, 0.7f, 4f};
        for (int i = 0; i < in.length; i++) {
            double v = in[i];
            assertEquals(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), g[i], 1e-6);
            assertEquals(v / (1 + Math.exp(-v)), s[i], 1e-6);
        }
    }

    /** Slicing, joining and element-wise operations on tensors, and that a freed tensor cannot be used. */
    @Test
    void tensorsMoveAndCombineOnTheBackend() {
        CpuBackend cpu = new CpuBackend();
        Tensor x = cpu.upload(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor y = cpu.upload(new float[] {10, 20, 30, 40, 50, 60}, 2, 3);
        assertArrayEquals(new float[] {2, 3, 5, 6}, cpu.download(cpu.columns(x, 1, 2)));
        assertArrayEquals(new float[] {4, 5, 6}, cpu.download(cpu.rows(x, 1, 1)));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60}, cpu.download(cpu.concatRows(x, y)));
        assertArrayEquals(new float[] {1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60},
                cpu.download(cpu.concatColumns(x, y)));
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, cpu.download(cpu.transpose(x)));
        Tensor sum = cpu.copy(x);
        cpu.add(sum, y);
        assertArrayEquals(new float[] {11, 22, 33, 44, 55, 66}, cpu.download(sum));
        cpu.multiply(sum, x);
        assertArrayEquals(new float[] {11, 44, 99, 176, 275, 396}, cpu.download(sum));
        Weight table = new Weight("emb", GgmlType.F32, new long[] {3, 2},
                MemorySegment.ofArray(new float[] {0, 1, 2, 3, 4, 5}));
        BackendWeight loaded = cpu.load(table);
        assertArrayEquals(new float[] {4, 5, 0, 1, 4, 5}, cpu.download(cpu.embedding(loaded, new int[] {2, 0, 2})));
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> cpu.embedding(loaded, new int[] {3}));
        assertEquals("token id 3 is outside emb's 3 rows", outside.getMessage());
        cpu.free(x);
        assertThrows(IllegalStateException.class, () -> cpu.download(x));
        assertEquals(3, cpu.download(y).length / 2);
    }

    @Test
    void rejectsMismatchedShapes() {
        Weight w = new Weight("w", GgmlType.F32, new long[] {2, 4}, MemorySegment.ofArray(new byte[32]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.matmul(new float[6], 2, w, null));
        assertTrue(e.getMessage().contains("matmul input for w"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new Weight("w", GgmlType.Q8_0, new long[] {2, 40}, MemorySegment.ofArray(new byte[80])));
    }

    private static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float) random.nextGaussian();
        return values;
    }
}
