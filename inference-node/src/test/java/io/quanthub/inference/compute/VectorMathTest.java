package io.quanthub.inference.compute;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link VectorMath}: within 2 ulp of the true functions, and its vector form equal to its scalar form to the bit. */
class VectorMathTest {
    private static final int N = 1 << 16;

    @Test
    void expIsWithinTwoUlpOfTheTrueValue() {
        float worst = 0;
        for (int i = 0; i <= N; i++) {
            float x = VectorMath.EXP_LOW + (VectorMath.EXP_HIGH - VectorMath.EXP_LOW) * i / N;
            double exact = StrictMath.exp(x);
            float ulps = (float) (Math.abs(VectorMath.exp(x) - exact) / Math.ulp((float) exact));
            worst = Math.max(worst, ulps);
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
        assertEquals(1f, VectorMath.exp(0f));
        assertEquals(0f, VectorMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, VectorMath.exp(-100f));
        assertTrue(Float.isNaN(VectorMath.exp(Float.NaN)));
    }

    @Test
    void activationsMatchTheirDefinitions() {
        Random random = new Random(7);
        for (int i = 0; i < N; i++) {
            float v = (float) random.nextGaussian() * 8;
            double silu = v / (1 + StrictMath.exp(-v));
            double gelu = 0.5 * v * (1 + StrictMath.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            assertEquals(silu, VectorMath.silu(v), 4e-7 * Math.max(1, Math.abs(silu)), "silu(" + v + ")");
            assertEquals(gelu, VectorMath.gelu(v), 4e-7 * Math.max(1, Math.abs(gelu)), "gelu(" + v + ")");
        }
    }

    @Test
    void vectorAndScalarFormsAgreeToTheBit() {
        var species = FloatVector.SPECIES_PREFERRED;
        Random random = new Random(11);
        float[] x = new float[species.length() * 4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian() * (i % 3 == 0 ? 60 : 4);
        x[0] = Float.NEGATIVE_INFINITY;
        x[1] = -90f;
        x[2] = 100f;
        float[] exp = new float[x.length];
        float[] silu = new float[x.length];
        float[] gelu = new float[x.length];
        for (int i = 0; i < x.length; i += species.length()) {
            FloatVector v = FloatVector.fromArray(species, x, i);
            VectorMath.exp(v).intoArray(exp, i);
            VectorMath.silu(v).intoArray(silu, i);
            VectorMath.gelu(v).intoArray(gelu, i);
        }
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(VectorMath.exp(x[i])), Float.floatToRawIntBits(exp[i]), "exp " + x[i]);
            assertEquals(Float.floatToRawIntBits(VectorMath.silu(x[i])), Float.floatToRawIntBits(silu[i]), "silu " + x[i]);
            assertEquals(Float.floatToRawIntBits(VectorMath.gelu(x[i])), Float.floatToRawIntBits(gelu[i]), "gelu " + x[i]);
        }
    }
}
