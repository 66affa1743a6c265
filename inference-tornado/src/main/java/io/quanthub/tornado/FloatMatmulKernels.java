package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * {@code out[t][o] = sum_i x[t][i] * w[o][i] + bias[o]} for F16 and BF16 weights, their 16-bit patterns looked up in a
 * {@link HalfTables} table. One work-item per output value. (F32 runs in {@link TiledMatmulKernels}.)
 */
final class FloatMatmulKernels {
    private FloatMatmulKernels() {
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
