package io.quanthub.inference.preview;

/**
 * Where a quant's preview differs from the reference: each pixel's largest channel difference {@code |a - b|}
 * (0..255), colour-mapped from black (equal) through purple, red and orange to pale yellow. The scale is fixed,
 * not stretched to each image's own maximum, so the heatmaps of several quants side by side compare directly: a
 * difference of {@value #FULL_SCALE} or more (a quarter of the range) gets the brightest colour.
 */
public final class DifferenceHeatmap {
    /** The difference that maps to the top of the colour scale. */
    public static final int FULL_SCALE = 64;
    /** Colour stops (r, g, b) at 0, 1/4, 1/2, 3/4 and 1 of the scale, after matplotlib's "inferno". */
    private static final int[][] STOPS = {
            {0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}};

    private DifferenceHeatmap() {
    }

    /** The heatmap of two RGB images of the same size, as RGB bytes of that size. */
    public static byte[] of(int width, int height, byte[] rgb, byte[] referenceRgb) {
        long expected = 3L * width * height;
        if (rgb.length != expected || referenceRgb.length != expected) {
            throw new IllegalArgumentException("images must both be " + width + "x" + height + " RGB");
        }
        byte[] out = new byte[rgb.length];
        for (int p = 0; p < rgb.length; p += 3) {
            int d = 0;
            for (int c = 0; c < 3; c++) d = Math.max(d, Math.abs((rgb[p + c] & 0xFF) - (referenceRgb[p + c] & 0xFF)));
            int[] colour = colour(d);
            out[p] = (byte) colour[0];
            out[p + 1] = (byte) colour[1];
            out[p + 2] = (byte) colour[2];
        }
        return out;
    }

    /** The colour of a difference of {@code d} (0..255). */
    static int[] colour(int d) {
        double t = Math.min(1.0, d / (double) FULL_SCALE) * (STOPS.length - 1);
        int i = Math.min((int) t, STOPS.length - 2);
        double f = t - i;
        int[] c = new int[3];
        for (int k = 0; k < 3; k++) c[k] = (int) Math.round(STOPS[i][k] + f * (STOPS[i + 1][k] - STOPS[i][k]));
        return c;
    }
}
