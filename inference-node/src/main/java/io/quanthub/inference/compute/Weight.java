package io.quanthub.inference.compute;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.quant.QuantFormat;
import io.quanthub.gguf.quant.Quants;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A weight tensor left where it is stored (a memory-mapped GGUF or safetensors file), in any ggml type. It is read as
 * a matrix of {@link #rows()} rows of {@link #cols()} values: a PyTorch {@code Linear} weight [out, in] has one row per
 * output feature, so a row is what quantization blocks run along (GGUF ne0).
 *
 * @param name  the tensor name, for error messages
 * @param type  the storage type (F32, F16 and BF16 included)
 * @param shape the shape in PyTorch order (outermost first)
 * @param data  the tensor bytes, exactly {@code rows * type.rowBytes(cols)} of them
 */
public record Weight(String name, GgmlType type, long[] shape, MemorySegment data) {
    public Weight {
        shape = shape.clone();
        if (shape.length == 0) throw new IllegalArgumentException("tensor '" + name + "' is a scalar, not a weight");
        if (!Quants.supports(type)) {
            throw new IllegalArgumentException("tensor '" + name + "' has type " + type
                    + ", which cannot be dequantized; supported: " + Quants.supported());
        }
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) rows *= shape[i];
        long cols = shape[shape.length - 1];
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' has rows of " + cols + " values, not a multiple of "
                    + type + "'s block size " + type.blockSize);
        }
        long expected = rows * type.rowBytes(cols);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + data.byteSize() + " bytes, expected "
                    + expected + " for " + type + " " + Arrays.toString(shape));
        }
        if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor '" + name + "' is too large: " + Arrays.toString(shape));
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of rows: every dim but the last multiplied (output features of a Linear weight). */
    public int rows() {
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) rows *= shape[i];
        return (int) rows;
    }

    /** Values per row: the last dim (input features of a Linear weight). */
    public int cols() {
        return (int) shape[shape.length - 1];
    }

    public long rowBytes() {
        return type.rowBytes(cols());
    }

    /**
     * Dequantizes rows {@code [firstRow, firstRow + count)} into {@code dst[0 .. count * cols)}, row after row, read
     * where the weight is (a memory-mapped file: no copy).
     */
    public void dequantizeRows(int firstRow, int count, float[] dst) {
        format().dequantize(data, firstRow * rowBytes(), dst, 0, count * cols());
    }

    /**
     * Dequantizes values {@code [firstCol, firstCol + count)} of one row into {@code dst[dstOff ..]}: a slice of a row
     * for kernels that walk the input dimension in chunks. Both ends must fall on block boundaries.
     */
    public void dequantizeSlice(int row, int firstCol, int count, float[] dst, int dstOff) {
        format().dequantize(data, row * rowBytes() + type.rowBytes(firstCol), dst, dstOff, count);
    }

    /** Every value, dequantized: for small tensors (biases, norm scales) only. */
    public float[] toFloats() {
        float[] values = new float[Math.multiplyExact(rows(), cols())];
        dequantizeRows(0, rows(), values);
        return values;
    }

    private QuantFormat format() {
        return Quants.of(type);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Weight w && name.equals(w.name) && type == w.type && Arrays.equals(shape, w.shape)
                && data.equals(w.data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + type.hashCode();
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
