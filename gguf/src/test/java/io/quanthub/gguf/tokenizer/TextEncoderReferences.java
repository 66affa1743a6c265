package io.quanthub.gguf.tokenizer;

import io.quanthub.gguf.json.Json;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsModel;
import io.quanthub.gguf.safetensors.SafetensorsTensor;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The shared text-encoders-tiny set: its prompts and the reference token ids. */
public final class TextEncoderReferences {
    public static final Path DIR = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
            "text-encoders-tiny");

    public record Prompt(String key, String id, String text, boolean ftfyChangesText) {
    }

    private TextEncoderReferences() {
    }

    @SuppressWarnings("unchecked")
    public static List<Prompt> prompts() throws IOException {
        Map<String, Object> root = Json.parseObject(Files.readString(DIR.resolve("prompts.json")));
        return ((List<Object>) root.get("prompts")).stream().map(o -> (Map<String, Object>) o)
                .map(m -> new Prompt((String) m.get("key"), (String) m.get("id"), (String) m.get("text"),
                        (Boolean) m.get("ftfy_changes_text")))
                .toList();
    }

    /** Every I32 tensor of a safetensors file. */
    public static Map<String, int[]> ints(Path file) throws IOException {
        Map<String, int[]> out = new LinkedHashMap<>();
        try (SafetensorsModel model = SafetensorsModel.open(file)) {
            for (SafetensorsTensor t : model.tensors()) {
                if (t.dtype() != Dtype.I32) continue;
                int[] values = new int[Math.toIntExact(t.elementCount())];
                java.lang.foreign.MemorySegment.copy(model.data(t),
                        ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values, 0, values.length);
                out.put(t.name(), values);
            }
        }
        return out;
    }
}
