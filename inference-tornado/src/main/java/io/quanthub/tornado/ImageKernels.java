package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The VAE decoder's image operations on planar images [channels x height x width]. A convolution is im2col, then the
 * matmul kernel of the weight's stored type (the kernel [out, in, k, k] read as a matrix [out, in * k * k]), then
 * {@link #transpose} from [pixels x out] back to planar: the same decomposition as the CPU backend's CpuImageOps.
 */
final class ImageKernels {
    private ImageKernels() {
    }

    /**
     * One row of {@code in * k * k} values per pixel, value {@code (c, ky, kx)} at {@code c * k * k + ky * k + kx},
     * zero where the kernel hangs over the border ("same" padding, {@code k / 2}).
     */
    static void im2col(FloatArray x, FloatArray patches, int in, int height, int width, int k) {
        for (@Parallel int y = 0; y < height; y++) {
            for (@Parallel int px = 0; px < width; px++) {
                int pad = k / 2;
                int base = (y * width + px) * in * k * k;
                for (int c = 0; c < in; c++) {
                    for (int ky = 0; ky < k; ky++) {
                        for (int kx = 0; kx < k; kx++) {
                            int sy = y + ky - pad;
                            int sx = px + kx - pad;
                            float v = 0f;
                            if (sy >= 0 && sy < height && sx >= 0 && sx < width) {
                                v = x.get((c * height + sy) * width + sx);
                            }
                            patches.set(base + (c * k + ky) * k + kx, v);
                        }
                    }
                }
            }
        }
    }

    /** {@code dst[c][r] = src[r][c]} for a [rows x cols] source. */
    static void transpose(FloatArray src, FloatArray dst, int rows, int cols) {
        for (@Parallel int c = 0; c < cols; c++) {
            for (@Parallel int r = 0; r < rows; r++) dst.set(c * rows + r, src.get(r * cols + c));
        }
    }

    /** Nearest-neighbour upsampling by 2 in both directions: [channels x h x w] to [channels x 2h x 2w]. */
    static void upsampleNearest2x(FloatArray x, FloatArray out, int channels, int height, int width) {
        for (@Parallel int row = 0; row < channels * 2 * height; row++) {
            for (@Parallel int ox = 0; ox < 2 * width; ox++) {
                int c = row / (2 * height);
                int sy = (row % (2 * height)) / 2;
                out.set(row * 2 * width + ox, x.get((c * height + sy) * width + ox / 2));
            }
        }
    }
}
