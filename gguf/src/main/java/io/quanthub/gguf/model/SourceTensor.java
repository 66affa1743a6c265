package io.quanthub.gguf.model;

import io.quanthub.gguf.safetensors.Dtype;

/**
 * A tensor of a source model, whatever file it comes from. Implementations are thread-safe: different threads may
 * read different (or the same) ranges at once.
 */
public interface SourceTensor {
    String name();

    /** The shape in PyTorch order (outermost first, the reverse of GGUF dims); empty for a scalar. */
    long[] shape();

    /** The stored element type; only {@link Dtype#isConvertible() convertible} types can be read as floats. */
    Dtype dtype();

    default long elementCount() {
        long n = 1;
        for (long d : shape()) n *= d;
        return n;
    }

    /**
     * Reads {@code count} elements starting at element {@code firstElement} (row-major, last dim fastest) into
     * {@code dst[dstOff..]}, widened exactly to float (F16, BF16 and float8 values are exactly representable).
     *
     * @throws UnsupportedOperationException when the dtype cannot be converted (integers, F64)
     * @throws IndexOutOfBoundsException     when the range is outside the tensor or {@code dst}
     */
    void readFloats(long firstElement, float[] dst, int dstOff, int count);
}
