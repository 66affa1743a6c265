package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** Rotary position embedding as Flux applies it to queries and keys. */
final class RopeKernel {
    private RopeKernel() {
    }

    /**
     * Flux's interleaved RoPE in place: pair j of every head of token t rotated by {@code cos/sin[t * pairs + j]}.
     * x is [tokens x heads * 2 pairs], head-major within a token.
     */
    static void rope(FloatArray x, FloatArray cos, FloatArray sin, int tokens, int heads, int pairs) {
        for (@Parallel int t = 0; t < tokens; t++) {
            for (@Parallel int h = 0; h < heads; h++) {
                int off = (t * heads + h) * 2 * pairs;
                for (int j = 0; j < pairs; j++) {
                    float c = cos.get(t * pairs + j);
                    float s = sin.get(t * pairs + j);
                    float x0 = x.get(off + 2 * j);
                    float x1 = x.get(off + 2 * j + 1);
                    x.set(off + 2 * j, c * x0 - s * x1);
                    x.set(off + 2 * j + 1, s * x0 + c * x1);
                }
            }
        }
    }
}
