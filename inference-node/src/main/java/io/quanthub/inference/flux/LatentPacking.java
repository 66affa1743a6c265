package io.quanthub.inference.flux;

/**
 * Flux's 2x2 patchification of the VAE latent (BFL {@code sampling.py}, {@code prepare} and {@code unpack}):
 * {@code c (h ph) (w pw) -> (h w) (c ph pw)}, so token {@code r * (width/2) + c} holds, at feature
 * {@code ch * 4 + ph * 2 + pw}, latent value {@code [ch, 2r + ph, 2c + pw]}.
 */
public final class LatentPacking {
    private LatentPacking() {
    }

    /** [channels x height x width] to [(height/2 * width/2) x channels * 4]. */
    public static float[] pack(float[] latent, int channels, int height, int width) {
        int[] target = packedIndex(latent, channels, height, width);
        float[] packed = new float[latent.length];
        for (int i = 0; i < target.length; i++) packed[target[i]] = latent[i];
        return packed;
    }

    /** The inverse of {@link #pack}. */
    public static float[] unpack(float[] packed, int channels, int height, int width) {
        int[] source = packedIndex(packed, channels, height, width);
        float[] latent = new float[packed.length];
        for (int i = 0; i < source.length; i++) latent[i] = packed[source[i]];
        return latent;
    }

    /** For each latent value [ch, y, x] in row-major order, its index in the packed [tokens x features] layout. */
    private static int[] packedIndex(float[] values, int channels, int height, int width) {
        check(values, channels, height, width);
        int[] index = new int[values.length];
        int cols = width / 2;
        int features = channels * 4;
        int i = 0;
        for (int ch = 0; ch < channels; ch++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int token = (y / 2) * cols + x / 2;
                    index[i++] = token * features + ch * 4 + (y % 2) * 2 + x % 2;
                }
            }
        }
        return index;
    }

    /** Position ids [tokens x 3] of the packed grid of a latent of this size: (0, row, column), row-major. */
    public static float[] imageIds(int height, int width) {
        int rows = height / 2;
        int cols = width / 2;
        float[] ids = new float[rows * cols * 3];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int t = r * cols + c;
                ids[t * 3 + 1] = r;
                ids[t * 3 + 2] = c;
            }
        }
        return ids;
    }

    /** Text position ids: all zeros for text-to-image. */
    public static float[] textIds(int tokens) {
        return new float[tokens * 3];
    }

    private static void check(float[] values, int channels, int height, int width) {
        if (height % 2 != 0 || width % 2 != 0) {
            throw new IllegalArgumentException("latent " + height + "x" + width + " cannot be packed in 2x2 patches:"
                    + " both sides must be even");
        }
        if ((long) channels * height * width != values.length) {
            throw new IllegalArgumentException("latent of " + values.length + " values is not " + channels + "x"
                    + height + "x" + width);
        }
    }
}
