package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The device side of the backend's data movement (copies, column and row slices, concatenations) and of its
 * element-wise operations that the Flux kernels do not cover (T5's products, CLIP's quick GELU, LayerNorm's affine
 * parameters), each value computed on its own, the CPU backend's formula.
 */
final class TensorKernels {
    private TensorKernels() {
    }

    /**
     * A block of {@code rows x count} values: {@code dst[dstOff + r * dstCols + c] = src[srcOff + r * srcCols + c]}.
     * Copies, column and row slices and both concatenations are this with different strides and offsets.
     */
    static void block(FloatArray src, FloatArray dst, int rows, int count, int srcCols, int srcOff, int dstCols,
                      int dstOff) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int c = 0; c < count; c++) dst.set(dstOff + r * dstCols + c, src.get(srcOff + r * srcCols + c));
        }
    }

    static void add(FloatArray x, FloatArray y, int n) {
        for (@Parallel int i = 0; i < n; i++) x.set(i, x.get(i) + y.get(i));
    }

    static void multiply(FloatArray x, FloatArray y, int n) {
        for (@Parallel int i = 0; i < n; i++) x.set(i, x.get(i) * y.get(i));
    }

    /** {@code x * sigmoid(1.702 x)}. */
    static void quickGelu(FloatArray x, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = x.get(i);
            x.set(i, v / (1f + TornadoMath.exp(-1.702f * v)));
        }
    }

    /** {@code x = x * weight + bias} per row of {@code dim} (LayerNorm's affine parameters). */
    static void affine(FloatArray x, FloatArray weight, FloatArray bias, int rows, int dim) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int i = 0; i < dim; i++) {
                int at = r * dim + i;
                x.set(at, x.get(at) * weight.get(i) + bias.get(i));
            }
        }
    }
}
