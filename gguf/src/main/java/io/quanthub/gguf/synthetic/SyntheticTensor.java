package io.quanthub.gguf.synthetic;

import io.quanthub.gguf.safetensors.Dtype;

import java.util.Arrays;

/**
 * A tensor to put in a generated model (the test and benchmark generator, or the demo model): name, safetensors dtype
 * and PyTorch shape (outermost first).
 */
public record SyntheticTensor(String name, Dtype dtype, long... shape) {
    public SyntheticTensor {
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + name + Arrays.toString(shape));
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() {
        return elementCount() * dtype.bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SyntheticTensor s && name.equals(s.name) && dtype == s.dtype
                && Arrays.equals(shape, s.shape);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
