package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** Flux's adaptive-LayerNorm modulation and gated residual: shift, scale and gate vectors apply to every row. */
final class ModulationKernels {
    private ModulationKernels() {
    }

    /** {@code x = (1 + scale) * x + shift}, per row of {@code dim}. */
    static void modulate(FloatArray x, FloatArray shift, FloatArray scale, int rows, int dim) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int i = 0; i < dim; i++) {
                int at = r * dim + i;
                x.set(at, (1f + scale.get(i)) * x.get(at) + shift.get(i));
            }
        }
    }

    /** {@code x += gate * y}, per row of {@code dim}. */
    static void addGated(FloatArray x, FloatArray gate, FloatArray y, int rows, int dim) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int i = 0; i < dim; i++) {
                int at = r * dim + i;
                x.set(at, x.get(at) + gate.get(i) * y.get(at));
            }
        }
    }
}
