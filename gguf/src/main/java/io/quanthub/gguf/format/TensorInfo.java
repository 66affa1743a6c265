package io.quanthub.gguf.format;

import io.quanthub.gguf.GgmlType;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor-info record of a GGUF file.
 *
 * @param name   the tensor name (at most 127 UTF-8 bytes)
 * @param dims   the dims as stored, ggml order: {@code dims[0]} = ne0 = row length (innermost, contiguous);
 *               {@code dims.length} is the stored n_dims (1..5); dims not stored are 1
 * @param type   the ggml type
 * @param offset the offset of the data, relative to the start of the data section
 */
public record TensorInfo(String name, long[] dims, GgmlType type, long offset) {
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = dims.clone();
        String problem = TensorShapes.nameProblem(name);
        if (problem == null) problem = TensorShapes.shapeProblem(dims, type);
        if (problem == null && offset < 0) problem = "negative offset " + offset;
        if (problem != null) throw new IllegalArgumentException(problem + ": '" + name + "'");
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** The stored dim count. */
    public int nDims() {
        return dims.length;
    }

    /** ne[i]: the i-th dim in ggml order, 1 past the stored ones. */
    public long ne(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    /** The shape in PyTorch order (outermost first): the dims reversed. */
    public long[] shape() {
        return TensorSpec.reversed(dims);
    }

    public long elementCount() {
        return TensorShapes.elementCountOrNegative(dims);
    }

    /** ne0: elements per row, the dimension quantization blocks run along. */
    public long rowLength() {
        return dims[0];
    }

    /** ne1 * ne2 * ...: the number of rows. */
    public long rowCount() {
        long n = 1;
        for (int i = 1; i < dims.length; i++) n *= dims[i];
        return n;
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return type.rowBytes(dims[0]);
    }

    /** Bytes of the tensor data, without padding: {@code (ne0 / blck) * type_size * ne1 * ne2 * ...}. */
    public long byteSize() {
        return rowBytes() * rowCount();
    }

    /** The same tensor without an offset: what a writer needs to store it again. */
    public TensorSpec spec() {
        return new TensorSpec(name, dims, type);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && Arrays.equals(dims, t.dims) && type == t.type
                && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(dims), type, offset);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims) + " @" + offset;
    }
}
