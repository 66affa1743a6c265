package io.quanthub.gguf.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor entry of a safetensors header.
 *
 * @param name       the tensor name
 * @param dtype      the element type
 * @param shape      the shape in PyTorch order (outermost first); empty for a scalar
 * @param fileOffset where the data starts, from the start of the file (8 + header length + data_offsets[0])
 * @param byteSize   data_offsets[1] - data_offsets[0], equal to elementCount() * dtype.bytes
 */
public record SafetensorsTensor(String name, Dtype dtype, long[] shape, long fileOffset, long byteSize) {
    public SafetensorsTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafetensorsTensor t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && fileOffset == t.fileOffset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), fileOffset, byteSize);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
