package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * {@code out[t][o] = sum_i x[t][i] * w[o][i] + bias[o]} for weights stored as plain floats: F32 as its floats, F16 and
 * BF16 as their 16-bit patterns looked up in a {@link HalfTables} table. One work-item per output value.
 */
final class FloatMatmulKernels {
    private FloatMatmulKernels() {
    }

    static void f32(FloatArray x, FloatArray w, FloatArray bias, FloatArray out, int tokens, int in, int outDim,
                    int hasBias) {
        for (@Parallel int t = 0; t < tokens; t++) {
            for (@Parallel int o = 0; o < outDim; o++) {
                float sum = 0f;
                int xo = t * in;
                int wo = o * in;
                for (int i = 0; i < in; i++) sum += x.get(xo + i) * w.get(wo + i);
                out.set(t * outDim + o, hasBias == 1 ? sum + bias.get(o) : sum);
            }
        }
    }

    /** F16 or BF16, depending on the table passed. */
    static void sixteenBit(FloatArray x, ShortArray w, FloatArray table, FloatArray bias, FloatArray out, int tokens,
                           int in, int outDim, int hasBias) {
        for (@Parallel int t = 0; t < tokens; t++) {
            for (@Parallel int o = 0; o < outDim; o++) {
                float sum = 0f;
                int xo = t * in;
                int wo = o * in;
                for (int i = 0; i < in; i++) sum += x.get(xo + i) * table.get(w.get(wo + i) & 0xFFFF);
                out.set(t * outDim + o, hasBias == 1 ? sum + bias.get(o) : sum);
            }
        }
    }
}
