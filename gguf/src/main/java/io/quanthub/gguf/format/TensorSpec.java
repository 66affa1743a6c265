package io.quanthub.gguf.format;

import io.quanthub.gguf.GgmlType;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor to be written: its name, type and the dims exactly as they will be stored (ggml order, {@code dims[0]} =
 * ne0 = row length; {@code dims.length} is the stored n_dims). {@link #of} drops trailing 1-dims like ggml's writer;
 * the constructor keeps the dims as given, for the tensors ComfyUI stores with an explicit dim count (compat §4.3).
 */
public record TensorSpec(String name, long[] dims, GgmlType type) {
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = dims.clone();
        String problem = TensorShapes.nameProblem(name);
        if (problem == null) problem = TensorShapes.shapeProblem(dims, type);
        if (problem != null) throw new IllegalArgumentException(problem + ": '" + name + "'");
    }

    /** A tensor with ggml's n_dims: trailing dims of size 1 dropped, at least one dim kept ({@code ggml_n_dims}). */
    public static TensorSpec of(String name, GgmlType type, long... ggmlDims) {
        int n = ggmlDims.length;
        while (n > 1 && ggmlDims[n - 1] == 1) n--;
        return new TensorSpec(name, Arrays.copyOf(ggmlDims, Math.max(n, 1)), type);
    }

    /** A tensor from its PyTorch shape (outermost first), reversed into ggml order, with ggml's n_dims. */
    public static TensorSpec ofTorchShape(String name, GgmlType type, long... shape) {
        return of(name, type, reversed(shape.length == 0 ? new long[] {1} : shape));
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    public long elementCount() {
        return TensorShapes.elementCountOrNegative(dims);
    }

    /** Bytes of the tensor data, without padding. */
    public long byteSize() {
        return type.rowBytes(dims[0]) * (dims[0] == 0 ? 0 : elementCount() / dims[0]);
    }

    static long[] reversed(long[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
        return r;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && Arrays.equals(dims, t.dims) && type == t.type;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(dims), type);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims);
    }
}
