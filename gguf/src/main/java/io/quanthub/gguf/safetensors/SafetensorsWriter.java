package io.quanthub.gguf.safetensors;

import io.quanthub.gguf.json.Json;
import io.quanthub.gguf.quant.Numerics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes small F32, F16, BF16 (and I32) safetensors files held in memory (debug outputs, test inputs, demo models): an
 * 8-byte little-endian header length, the JSON header padded with spaces to a multiple of 8, then the tensors' data
 * in the order they were added.
 */
public final class SafetensorsWriter {
    private static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Map<String, Object> header = new LinkedHashMap<>();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();

    /** Adds an F32 tensor; {@code values} are row-major for {@code shape} (PyTorch order). */
    public SafetensorsWriter addF32(String name, long[] shape, float[] values) {
        return add(name, Dtype.F32, shape, values);
    }

    /**
     * Adds a tensor stored as F32, F16 or BF16 ({@code values} rounded to nearest, ties to even, as PyTorch does);
     * {@code values} are row-major for {@code shape} (PyTorch order).
     */
    public SafetensorsWriter add(String name, Dtype dtype, long[] shape, float[] values) {
        byte[] bytes = new byte[values.length * dtype.bytes];
        switch (dtype) {
            case F32 -> MemorySegment.copy(values, 0, MemorySegment.ofArray(bytes), LE_FLOAT, 0, values.length);
            case F16, BF16 -> {
                MemorySegment out = MemorySegment.ofArray(bytes);
                for (int i = 0; i < values.length; i++) {
                    short bits = dtype == Dtype.F16 ? Numerics.fp32ToFp16(values[i]) : Numerics.fp32ToBf16(values[i]);
                    out.set(LE_SHORT, 2L * i, bits);
                }
            }
            default -> throw new IllegalArgumentException("cannot write " + dtype + " tensor '" + name
                    + "'; only F32, F16 and BF16");
        }
        return put(name, dtype, shape, values.length, bytes);
    }

    private SafetensorsWriter put(String name, Dtype dtype, long[] shape, long valueCount, byte[] bytes) {
        List<Object> dims = new ArrayList<>();
        long count = 1;
        for (long d : shape) {
            count *= d;
            dims.add(d);
        }
        if (count != valueCount) {
            throw new IllegalArgumentException("tensor '" + name + "' of shape " + dims + " needs " + count
                    + " values, got " + valueCount);
        }
        if (name.equals("__metadata__") || header.containsKey(name)) {
            throw new IllegalArgumentException("tensor name '" + name + "' is reserved or already used");
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("dtype", dtype.name());
        entry.put("shape", dims);
        entry.put("data_offsets", List.of((long) data.size(), (long) data.size() + bytes.length));
        header.put(name, entry);
        data.writeBytes(bytes);
        return this;
    }

    /** Adds a tensor of any dtype from its raw little-endian bytes (float8 test models, for one). */
    public SafetensorsWriter addRaw(String name, Dtype dtype, long[] shape, byte[] bytes) {
        if (bytes.length % dtype.bytes != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': " + bytes.length + " bytes of " + dtype);
        }
        return put(name, dtype, shape, bytes.length / dtype.bytes, bytes.clone());
    }

    /** Adds an I32 tensor (token ids); {@code values} are row-major for {@code shape}. */
    public SafetensorsWriter addI32(String name, long[] shape, int[] values) {
        byte[] bytes = new byte[values.length * 4];
        MemorySegment.copy(values, 0, MemorySegment.ofArray(bytes), LE_INT, 0, values.length);
        return put(name, Dtype.I32, shape, values.length, bytes);
    }

    /** The whole file. */
    public byte[] bytes() {
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 + padded + data.size());
        for (int i = 0; i < 8; i++) out.write((int) ((long) padded >>> (8 * i)));
        out.writeBytes(json);
        for (int i = json.length; i < padded; i++) out.write(' ');
        out.writeBytes(data.toByteArray());
        return out.toByteArray();
    }

    public Path write(Path file) throws IOException {
        return Files.write(file, bytes());
    }
}
