package io.quanthub.inference.text;

import io.quanthub.gguf.json.Json;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsModel;
import io.quanthub.gguf.safetensors.SafetensorsTensor;
import io.quanthub.gguf.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared text-encoders-tiny set: prompts, reference tensors (ids and states), re-typed copies of its weights. */
final class TextEncodersTiny {
    static final Path DIR = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
            "text-encoders-tiny");
    static final int CLIP_HEADS = 4;

    record Prompt(String key, String text) {
    }

    /** A reference file: its I32 tensors (ids) and float tensors (states). */
    record Reference(Map<String, int[]> ids, Map<String, float[]> states) {
        float[] state(String name) {
            float[] v = states.get(name);
            if (v == null) throw new AssertionError("no reference tensor " + name);
            return v;
        }
    }

    private TextEncodersTiny() {
    }

    @SuppressWarnings("unchecked")
    static List<Prompt> prompts() throws IOException {
        Map<String, Object> root = Json.parseObject(Files.readString(DIR.resolve("prompts.json")));
        return ((List<Object>) root.get("prompts")).stream().map(o -> (Map<String, Object>) o)
                .map(m -> new Prompt((String) m.get("key"), (String) m.get("text"))).toList();
    }

    static Reference reference(String file) throws IOException {
        return read(DIR.resolve(file));
    }

    static Reference read(Path file) throws IOException {
        Map<String, int[]> ids = new LinkedHashMap<>();
        Map<String, float[]> states = new LinkedHashMap<>();
        try (SafetensorsModel model = SafetensorsModel.open(file)) {
            for (SafetensorsTensor t : model.tensors()) {
                int n = Math.toIntExact(t.elementCount());
                if (t.dtype() == Dtype.I32) {
                    int[] v = new int[n];
                    MemorySegment.copy(model.data(t), ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                            0, v, 0, n);
                    ids.put(t.name(), v);
                } else {
                    float[] v = new float[n];
                    t.dtype().widen(model.data(t), 0, v, 0, n);
                    states.put(t.name(), v);
                }
            }
        }
        return new Reference(ids, states);
    }

    /**
     * A copy of a safetensors model with every tensor of 2 or more dims stored as {@code dtype} (rounded to nearest:
     * float8 codes by {@link Float8}), 1-D tensors (norms, biases) as F32.
     */
    static Path retyped(Path source, Path target, Dtype dtype) throws IOException {
        SafetensorsWriter out = new SafetensorsWriter();
        try (SafetensorsModel model = SafetensorsModel.open(source)) {
            for (SafetensorsTensor t : model.tensors()) {
                float[] v = new float[Math.toIntExact(t.elementCount())];
                t.dtype().widen(model.data(t), 0, v, 0, v.length);
                if (t.shape().length < 2) {
                    out.addF32(t.name(), t.shape(), v);
                } else if (dtype == Dtype.F8_E4M3 || dtype == Dtype.F8_E5M2) {
                    out.addRaw(t.name(), dtype, t.shape(), Float8.encode(v, dtype));
                } else {
                    out.add(t.name(), dtype, t.shape(), v);
                }
            }
        }
        out.write(target);
        return target;
    }

    /** {@code source} with every tensor widened to F32: the dequantize-then-encode reference of a float8 file. */
    static Path widened(Path source, Path target) throws IOException {
        return retyped(source, target, Dtype.F32);
    }

    static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        final double w = worst;
        final int a = at;
        assertTrue(worst <= tolerance, () -> what + ": max abs diff " + w + " at " + a + " (expected "
                + expected[a] + ", got " + actual[a] + "), tolerance " + tolerance);
    }
}
