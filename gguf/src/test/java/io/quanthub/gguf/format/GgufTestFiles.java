package io.quanthub.gguf.format;

import io.quanthub.gguf.GgmlType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Builders of real GGUF files for the format tests. */
final class GgufTestFiles {
    private GgufTestFiles() {
    }

    /** One KV of every type, arrays of strings and ints included. */
    static Map<String, GgufValue> everyValueType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.of("flux"));
        m.put("test.u8", new GgufValue.U8(250));
        m.put("test.i8", new GgufValue.I8((byte) -7));
        m.put("test.u16", new GgufValue.U16(65000));
        m.put("test.i16", new GgufValue.I16((short) -30000));
        m.put("test.u32", GgufValue.u32(4_000_000_000L));
        m.put("test.i32", GgufValue.i32(-2_000_000_000));
        m.put("test.f32", new GgufValue.F32(3.25f));
        m.put("test.bool", new GgufValue.Bool(true));
        m.put("test.string", GgufValue.of("héllo wörld ✓"));
        m.put("test.empty_string", GgufValue.of(""));
        m.put("test.u64", new GgufValue.U64(-1L)); // 2^64 - 1
        m.put("test.i64", new GgufValue.I64(Long.MIN_VALUE));
        m.put("test.f64", new GgufValue.F64(-1.0e300));
        m.put("test.arr_str", GgufValue.ofStrings(List.of("a", "", "ünïcode", "long string value")));
        m.put("test.arr_i32", GgufValue.ofInts(1, -2, 3, Integer.MAX_VALUE));
        m.put("test.arr_f32", new GgufValue.Arr(GgufValueType.FLOAT32,
                List.of(new GgufValue.F32(0.5f), new GgufValue.F32(-0.0f))));
        m.put("test.arr_bool", new GgufValue.Arr(GgufValueType.BOOL,
                List.of(new GgufValue.Bool(false), new GgufValue.Bool(true))));
        m.put("test.arr_u8", new GgufValue.Arr(GgufValueType.UINT8, List.of(new GgufValue.U8(0), new GgufValue.U8(255))));
        m.put("test.arr_empty", new GgufValue.Arr(GgufValueType.UINT64, List.of()));
        return m;
    }

    /** Deterministic pseudo-random bytes of a tensor: a function of its name and position. */
    static byte[] tensorBytes(TensorSpec t) {
        byte[] b = new byte[Math.toIntExact(t.byteSize())];
        new SplittableRandom(t.name().hashCode()).nextBytes(b);
        return b;
    }

    /** Writes a file whose tensors hold {@link #tensorBytes}, in chunks of at most {@code chunk} bytes. */
    static GgufLayout write(Path path, Map<String, GgufValue> metadata, List<TensorSpec> tensors, int chunk)
            throws IOException {
        try (GgufWriter w = GgufWriter.create(path, metadata, tensors)) {
            for (TensorSpec t : tensors) {
                byte[] data = tensorBytes(t);
                for (int off = 0; off < data.length; off += chunk) {
                    w.writeTensorData(data, off, Math.min(chunk, data.length - off));
                }
            }
            return w.layout();
        }
    }

    /** A small valid file with two KVs and three tensors, for the corruption tests. */
    static List<TensorSpec> smallTensors() {
        return List.of(
                TensorSpec.of("a.weight", GgmlType.F32, 8, 2),
                TensorSpec.of("b.weight", GgmlType.Q8_0, 32, 3),
                TensorSpec.of("c.bias", GgmlType.F16, 5));
    }
}
