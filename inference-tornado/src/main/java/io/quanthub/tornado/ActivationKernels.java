package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** The activations, value by value, with the CPU backend's formulas (VectorMath): tanh-GELU and SiLU. */
final class ActivationKernels {
    /** 2 sqrt(2 / pi): tanh-GELU is {@code v * sigmoid(2 sqrt(2/pi) (v + 0.044715 v^3))}, as the CPU's VectorMath. */
    static final float GELU_A = (float) (2 * Math.sqrt(2 / Math.PI));
    static final float GELU_B = 0.044715f;

    private ActivationKernels() {
    }

    static void gelu(FloatArray x, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = x.get(i);
            float u = (v * v * v * GELU_B + v) * GELU_A;
            x.set(i, v / (1f + TornadoMath.exp(-u)));
        }
    }

    static void silu(FloatArray x, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = x.get(i);
            x.set(i, v / (1f + TornadoMath.exp(-v)));
        }
    }
}
