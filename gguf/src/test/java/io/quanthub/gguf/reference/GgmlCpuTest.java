package io.quanthub.gguf.reference;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.quant.Quants;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The FFM binding of ggml's CPU backend: its mul_mat computes the product we expect, in our row-major layout. */
class GgmlCpuTest {
    private static final GgmlCpu GGML = GgmlCpu.load(GgmlLibrary.load());

    @Test
    void picksACpuLibraryThisMachineRuns() {
        assertTrue(GGML.libraryName().matches("libggml-cpu-(zen4|skylakex|haswell|x64)\\.so"), GGML.libraryName());
    }

    /** F32 weights keep F32 activations in ggml too: the product matches a double-precision one closely. */
    @Test
    void mulMatOfF32WeightsIsTheRowMajorProduct() {
        assertProduct(GgmlType.F32, 5, 64, 3, 1e-4);
    }

    /** A quantized weight: ggml rounds the activations to 8 bits, so the product is close, not exact. */
    @Test
    void mulMatOfQ8WeightsIsCloseToTheProduct() {
        assertProduct(GgmlType.Q8_0, 4, 256, 2, 0.02 * Math.sqrt(256));
    }

    /** ggml's [tokens x rows] product of a gaussian weight quantized to type, against the F32 product in double. */
    private static void assertProduct(GgmlType type, int rows, int cols, int tokens, double tolerance) {
        Random random = new Random(type.id);
        float[] w = gaussian(random, rows * cols);
        float[] x = gaussian(random, tokens * cols);
        byte[] bytes = new byte[Math.toIntExact(type.rowBytes(cols) * rows)];
        Quants.of(type).quantize(w, 0, bytes, 0, rows, cols, null);
        float[] out;
        try (Arena arena = Arena.ofConfined();
             GgmlCpu.MulMat product = GGML.mulMat(type, arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes), rows, cols,
                     x, tokens)) {
            product.compute(2);
            out = product.result();
        }
        assertEquals(tokens * rows, out.length);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double expected = 0;
                for (int i = 0; i < cols; i++) expected += (double) x[t * cols + i] * w[r * cols + i];
                assertEquals(expected, out[t * rows + r], tolerance, type + " token " + t + " row " + r);
            }
        }
    }

    @Test
    void rejectsAWeightOfTheWrongSize() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class,
                    () -> GGML.mulMat(GgmlType.Q8_0, arena.allocate(10), 1, 32, new float[32], 1));
        }
    }

    private static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float) random.nextGaussian();
        return values;
    }
}
