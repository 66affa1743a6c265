package io.quanthub.inference.compute;

/** The CPU backend's tensor: a heap array of exactly {@code rows * cols} floats, null once freed. */
final class CpuTensor implements Tensor {
    private final int rows;
    private final int cols;
    private float[] data;

    CpuTensor(float[] data, int rows, int cols) {
        if (data.length != (long) rows * cols) {
            throw new IllegalArgumentException(data.length + " values are not " + rows + "x" + cols);
        }
        this.data = data;
        this.rows = rows;
        this.cols = cols;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    float[] data() {
        if (data == null) throw new IllegalStateException("tensor " + this + " was used after it was freed");
        return data;
    }

    /** The array, which the tensor no longer has. */
    float[] release() {
        float[] a = data();
        data = null;
        return a;
    }

    @Override
    public String toString() {
        return "[" + rows + " x " + cols + "]";
    }
}
