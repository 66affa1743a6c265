package io.quanthub.tornado;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.compute.HostCalls;
import io.quanthub.inference.compute.Weight;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each stored type's matmul kernel on the device against the CPU backend. The input starts with one-hot rows (token i
 * = unit vector i), whose products are the dequantized weights themselves: they must match gguf's dequantizer value
 * for value, which pins the block layout. Then a few random tokens, against {@link CpuBackend#matmul}. Shapes are odd
 * (37 output features, 7 random tokens, rows of 5 blocks) so nothing lines up with work-group sizes.
 */
class MatmulKernelsTest {
    private static final TornadoOps OPS = new TornadoOps();

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "IQ4_NL", "IQ4_XS"})
    void matchesTheCpuBackend(GgmlType type) {
        int rows = 37;
        int cols = type.blockSize == 1 ? 99 : 5 * type.blockSize;
        Random random = new Random(type.ordinal());
        Weight w = randomWeight(type, rows, cols, random);
        int randomTokens = 7;
        int tokens = cols + randomTokens;
        float[] x = new float[tokens * cols];
        for (int i = 0; i < cols; i++) x[i * cols + i] = 1f;
        for (int i = cols * cols; i < x.length; i++) x[i] = (float) random.nextGaussian();
        float[] bias = new float[rows];
        for (int i = 0; i < rows; i++) bias[i] = (float) random.nextGaussian();

        float[] device = OPS.matmul(x, tokens, DeviceWeight.of(w), null);
        float[] dequantized = w.toFloats();
        for (int i = 0; i < cols; i++) {
            for (int o = 0; o < rows; o++) {
                float expected = dequantized[o * cols + i];
                assertEquals(expected, device[i * rows + o], 1e-6f * Math.max(1f, Math.abs(expected)),
                        type + " weight [" + o + "][" + i + "]");
            }
        }

        float[] randomX = new float[randomTokens * cols];
        System.arraycopy(x, cols * cols, randomX, 0, randomX.length);
        float[] withBias = OPS.matmul(randomX, randomTokens, DeviceWeight.of(w), bias);
        float[] cpu = new HostCalls(new CpuBackend()).matmul(randomX, randomTokens, w, bias);
        assertClose(cpu, withBias, 1e-4f, type + " matmul");
    }

    @Test
    void badInputIsRefusedWithTheProblemNamed() {
        Weight w = randomWeight(GgmlType.Q8_0, 3, 64, new Random(1));
        var shape = assertThrows(IllegalArgumentException.class,
                () -> OPS.matmul(new float[65], 1, DeviceWeight.of(w), null));
        assertTrue(shape.getMessage().contains("65 values"), shape.getMessage());
        var bias = assertThrows(IllegalArgumentException.class,
                () -> OPS.matmul(new float[64], 1, DeviceWeight.of(w), new float[2]));
        assertTrue(bias.getMessage().contains("bias"), bias.getMessage());
    }

    /** A weight can be of any type gguf dequantizes (Weight checks that); each needs its kernel on the device. */
    @Test
    void everyTypeAWeightCanHaveHasAKernel() {
        for (GgmlType type : Quants.supported()) assertTrue(DeviceWeight.supports(type), type + " has no kernel");
    }

    static Weight randomWeight(GgmlType type, int rows, int cols, Random random) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian() * 0.5f;
        byte[] bytes = new byte[Math.toIntExact(rows * type.rowBytes(cols))];
        Quants.of(type).quantize(values, 0, bytes, 0, rows, cols, null);
        return new Weight("w." + type, type, new long[] {rows, cols}, MemorySegment.ofArray(bytes));
    }

    /** Within {@code tolerance}, relative to the value's magnitude where it exceeds 1, and not all zero. */
    static void assertClose(float[] expected, float[] actual, float tolerance, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        boolean nonZero = false;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            assertEquals(e, actual[i], tolerance * Math.max(1f, Math.abs(e)), what + " at " + i);
            nonZero |= e != 0f;
        }
        assertTrue(nonZero, what + ": the reference is all zeros, so the comparison proves nothing");
    }
}
