package io.quanthub.cluster;

import io.quanthub.gguf.ByteRanges;
import io.quanthub.gguf.model.SourceTensor;
import io.quanthub.gguf.safetensors.Dtype;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A tensor stored contiguously in a file in object storage (a safetensors tensor, or a float tensor of a GGUF
 * file): every read fetches exactly the bytes of the requested elements with one range request, so a member
 * producing one part of the output reads only the rows that part needs.
 *
 * @param fileOffset where the tensor's first element lies in the file
 */
record RemoteTensor(String name, long[] shape, Dtype dtype, long fileOffset, ByteRanges file) implements SourceTensor {
    RemoteTensor {
        shape = shape.clone();
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
        byte[] bytes;
        try {
            bytes = file.read(fileOffset + firstElement * dtype.bytes, Math.multiplyExact(count, dtype.bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("reading tensor '" + name + "' failed: " + e.getMessage(), e);
        }
        dtype.widen(MemorySegment.ofArray(bytes), 0, dst, dstOff, count);
    }
}
