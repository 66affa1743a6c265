package io.quanthub.cluster;

import io.quanthub.gguf.ByteRanges;
import io.quanthub.gguf.model.SourceTensor;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A safetensors tensor of a file in object storage: every read fetches exactly the bytes of the requested elements
 * with one range request, so a member producing one part of the output reads only the rows that part needs.
 */
record RemoteTensor(SafetensorsTensor tensor, ByteRanges file) implements SourceTensor {
    @Override
    public String name() {
        return tensor.name();
    }

    @Override
    public long[] shape() {
        return tensor.shape();
    }

    @Override
    public Dtype dtype() {
        return tensor.dtype();
    }

    @Override
    public void readFloats(long firstElement, float[] dst, int dstOff, int count) {
        Objects.checkFromIndexSize(dstOff, count, dst.length);
        Objects.checkFromIndexSize(firstElement, count, elementCount());
        Dtype dtype = tensor.dtype();
        if (!dtype.isConvertible()) {
            throw new UnsupportedOperationException("tensor '" + name() + "' has dtype " + dtype
                    + ", which cannot be converted; only F32, F16, BF16, F8_E4M3 and F8_E5M2 tensors can");
        }
        byte[] bytes;
        try {
            bytes = file.read(tensor.fileOffset() + firstElement * dtype.bytes, Math.multiplyExact(count, dtype.bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("reading tensor '" + name() + "' failed: " + e.getMessage(), e);
        }
        dtype.widen(MemorySegment.ofArray(bytes), 0, dst, dstOff, count);
    }
}
