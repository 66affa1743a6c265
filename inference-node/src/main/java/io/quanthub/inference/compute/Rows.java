package io.quanthub.inference.compute;

/** Data movement on row-major activations: column slices and concatenations (no arithmetic). */
public final class Rows {
    private Rows() {
    }

    /** Columns {@code [from, from + count)} of {@code x} [rows x width], as [rows x count]. */
    public static float[] columns(float[] x, int rows, int width, int from, int count) {
        return columns(x, rows, width, from, count, new float[rows * count]);
    }

    /** {@link #columns(float[], int, int, int, int)} into {@code out}. */
    public static float[] columns(float[] x, int rows, int width, int from, int count, float[] out) {
        for (int r = 0; r < rows; r++) System.arraycopy(x, r * width + from, out, r * count, count);
        return out;
    }

    /** {@code a} [rows x aWidth] and {@code b} [rows x bWidth] side by side, as [rows x (aWidth + bWidth)]. */
    public static float[] concatColumns(float[] a, int aWidth, float[] b, int bWidth, int rows) {
        return concatColumns(a, aWidth, b, bWidth, rows, new float[rows * (aWidth + bWidth)]);
    }

    /** {@link #concatColumns(float[], int, float[], int, int)} into {@code out}. */
    public static float[] concatColumns(float[] a, int aWidth, float[] b, int bWidth, int rows, float[] out) {
        int width = aWidth + bWidth;
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a, r * aWidth, out, r * width, aWidth);
            System.arraycopy(b, r * bWidth, out, r * width + aWidth, bWidth);
        }
        return out;
    }

    /** The rows of {@code a}, then those of {@code b}. */
    public static float[] concatRows(float[] a, float[] b) {
        return concatRows(a, b, new float[a.length + b.length]);
    }

    /** {@link #concatRows(float[], float[])} into {@code out}. */
    public static float[] concatRows(float[] a, float[] b, float[] out) {
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Rows {@code [from, from + count)} of {@code x} with rows of {@code width}. */
    public static float[] rows(float[] x, int width, int from, int count) {
        return rows(x, width, from, count, new float[count * width]);
    }

    /** {@link #rows(float[], int, int, int)} into {@code out}. */
    public static float[] rows(float[] x, int width, int from, int count, float[] out) {
        System.arraycopy(x, from * width, out, 0, count * width);
        return out;
    }

    /** {@code x} [rows x cols] as [cols x rows]: between planar images [channels x pixels] and token rows. */
    public static float[] transpose(float[] x, int rows, int cols) {
        return transpose(x, rows, cols, new float[x.length]);
    }

    /** {@link #transpose(float[], int, int)} into {@code out}. */
    public static float[] transpose(float[] x, int rows, int cols, float[] out) {
        if (x.length != (long) rows * cols || out.length != x.length) {
            throw new IllegalArgumentException(x.length + " values are not " + rows + "x" + cols);
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
        }
        return out;
    }
}
