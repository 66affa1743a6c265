package io.quanthub.gguf.synthetic;

import io.quanthub.gguf.json.Json;
import io.quanthub.gguf.quant.Numerics;
import io.quanthub.gguf.safetensors.Dtype;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Synthetic models for tests and benchmarks: safetensors files of any size, streamed to disk in bounded memory, with
 * {@link SyntheticWeights deterministic values}. Tensor {@code i} of a model written with seed {@code s} holds
 * {@code SyntheticWeights.value(s + i, 0..n)}, rounded to its dtype, so a reader can recompute any value.
 *
 * <pre>{@code
 * FluxShape shape = SyntheticModel.writeFlux(Path.of("flux-1g.safetensors"), 1L << 30, 42);
 * }</pre>
 */
public final class SyntheticModel {
    /** Values generated and encoded per write: 4 MiB of F32, 2 MiB of BF16. */
    private static final int CHUNK_ELEMENTS = 1 << 20;

    private SyntheticModel() {
    }

    /**
     * Writes a BF16 (Flux's own dtype) Flux-shaped model of at least {@code targetBytes} of tensor data; see
     * {@link FluxShape#forDataBytes} for the shape chosen.
     *
     * @return the shape written
     */
    public static FluxShape writeFlux(Path file, long targetBytes, long seed) throws IOException {
        FluxShape shape = FluxShape.forDataBytes(targetBytes, Dtype.BF16);
        write(file, shape.tensors(Dtype.BF16), seed);
        return shape;
    }

    /**
     * Writes (or replaces) a safetensors file with these tensors, in this order; tensor {@code i} gets the values
     * from seed {@code seed + i}. Memory use does not depend on the model size.
     *
     * @throws IllegalArgumentException when a dtype is not F32, F16 or BF16 (the ones values can be rounded to)
     */
    public static Path write(Path file, List<SyntheticTensor> tensors, long seed) throws IOException {
        for (SyntheticTensor s : tensors) {
            if (s.dtype() != Dtype.F32 && s.dtype() != Dtype.F16 && s.dtype() != Dtype.BF16) {
                throw new IllegalArgumentException("cannot generate " + s.dtype() + " values for " + s.name()
                        + "; synthetic tensors are F32, F16 or BF16");
            }
        }
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, ByteBuffer.wrap(header(tensors)));
            float[] values = new float[CHUNK_ELEMENTS];
            ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK_ELEMENTS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < tensors.size(); i++) {
                SyntheticTensor s = tensors.get(i);
                long n = s.elementCount();
                for (long first = 0; first < n; first += CHUNK_ELEMENTS) {
                    int count = (int) Math.min(CHUNK_ELEMENTS, n - first);
                    SyntheticWeights.fill(seed + i, first, values, 0, count);
                    buffer.clear();
                    encode(s.dtype(), values, count, buffer);
                    writeFully(out, buffer.flip());
                }
            }
        }
        return file;
    }

    /**
     * The safetensors header: an 8-byte little-endian length, then JSON naming each tensor's dtype, shape and byte
     * range, padded with spaces so the data starts 8-byte aligned.
     */
    private static byte[] header(List<SyntheticTensor> tensors) {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (SyntheticTensor s : tensors) {
            List<Object> shape = new ArrayList<>();
            for (long d : s.shape()) shape.add(d);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", s.dtype().name());
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(offset, offset + s.byteSize()));
            if (header.put(s.name(), entry) != null) {
                throw new IllegalArgumentException("tensor " + s.name() + " appears twice");
            }
            offset += s.byteSize();
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        return head.array();
    }

    /** Rounds floats to a safetensors float dtype the way ggml and PyTorch do (nearest, ties to even). */
    private static void encode(Dtype dtype, float[] v, int n, ByteBuffer out) {
        switch (dtype) {
            case F32 -> {
                for (int i = 0; i < n; i++) out.putFloat(v[i]);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) out.putShort(Numerics.fp32ToFp16(v[i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) out.putShort(Numerics.fp32ToBf16(v[i]));
            }
            default -> throw new IllegalArgumentException("cannot encode " + dtype);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) out.write(src);
    }
}
