package io.quanthub.gguf.model;

import io.quanthub.gguf.safetensors.Dtype;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/** A source tensor whose elements lie contiguously in a mapped file (safetensors, or a float GGUF tensor). */
record MappedTensor(String name, long[] shape, Dtype dtype, MemorySegment data) implements SourceTensor {
    MappedTensor {
        shape = shape.clone();
        long bytes = dtype.bytes;
        for (long d : shape) bytes *= d;
        if (bytes != data.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + data.byteSize() + " bytes, expected "
                    + bytes);
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public void readFloats(long firstElement, float[] dst, int dstOff, int count) {
        Objects.checkFromIndexSize(dstOff, count, dst.length);
        Objects.checkFromIndexSize(firstElement, count, elementCount());
        if (!dtype.isConvertible()) {
            throw new UnsupportedOperationException("tensor '" + name + "' has dtype " + dtype
                    + ", which cannot be converted; only F32, F16, BF16, F8_E4M3 and F8_E5M2 tensors can");
        }
        dtype.widen(data, firstElement * dtype.bytes, dst, dstOff, count);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MappedTensor t && name.equals(t.name) && Arrays.equals(shape, t.shape)
                && dtype == t.dtype && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), dtype);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
