package io.quanthub.inference.text;

import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.tokenizer.ClipTokenizer;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.model.ModelWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static io.quanthub.inference.text.TextEncodersTiny.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** CLIP-L's text tower against openai/CLIP's {@code encode_text} on the shared tiny model, for every prompt. */
class ClipTextModelTest {
    private static final double TOLERANCE = 1e-4;
    private static List<TextEncodersTiny.Prompt> prompts;
    private static TextEncodersTiny.Reference reference;

    @BeforeAll
    static void load() throws IOException {
        prompts = TextEncodersTiny.prompts();
        reference = TextEncodersTiny.reference("clip_reference.safetensors");
    }

    @Test
    void f16WeightsMatchOpenaiForBothPaddings() throws IOException {
        checkAgainstReference(TextEncodersTiny.DIR.resolve("clip_l.safetensors"));
    }

    @Test
    void f32WeightsMatchOpenai(@TempDir Path dir) throws IOException {
        checkAgainstReference(TextEncodersTiny.retyped(TextEncodersTiny.DIR.resolve("clip_l.safetensors"),
                dir.resolve("clip_f32.safetensors"), Dtype.F32));
    }

    @Test
    void integerBuffersSavedWithTheWeightsAreLeftOut(@TempDir Path dir) throws IOException {
        // Some CLIP-L files carry HF's position_ids buffer (I64 [1, 77]) next to the weights.
        Path source = TextEncodersTiny.DIR.resolve("clip_l.safetensors");
        Path withIds = dir.resolve("clip_with_position_ids.safetensors");
        var writer = new io.quanthub.gguf.safetensors.SafetensorsWriter();
        try (ModelWeights w = ModelWeights.open(source)) {
            for (var t : w.tensors().values()) writer.addF32(t.name(), t.shape(), t.toFloats());
        }
        byte[] ids = new byte[77 * 8];
        for (int i = 0; i < 77; i++) ids[8 * i] = (byte) i;
        writer.addRaw("text_model.embeddings.position_ids", Dtype.I64, new long[] {1, 77}, ids).write(withIds);
        try (ModelWeights w = ModelWeights.open(withIds)) {
            assertEquals(false, w.has("text_model.embeddings.position_ids"));
        }
        checkAgainstReference(withIds);
    }

    @Test
    void float8WeightsEncodeAsTheirDequantizedValues(@TempDir Path dir) throws IOException {
        Path source = TextEncodersTiny.DIR.resolve("clip_l.safetensors");
        for (Dtype dtype : List.of(Dtype.F8_E4M3, Dtype.F8_E5M2)) {
            Path fp8 = TextEncodersTiny.retyped(source, dir.resolve(dtype + ".safetensors"), dtype);
            Path widened = TextEncodersTiny.widened(fp8, dir.resolve(dtype + "-f32.safetensors"));
            try (ModelWeights a = ModelWeights.open(fp8); ModelWeights b = ModelWeights.open(widened)) {
                ClipTextModel quantized = new ClipTextModel(a, TextEncodersTiny.CLIP_HEADS, new CpuBackend());
                ClipTextModel dequantized = new ClipTextModel(b, TextEncodersTiny.CLIP_HEADS, new CpuBackend());
                for (var p : prompts.subList(0, 4)) {
                    int[] ids = ClipTokenizer.openai().tokenize(p.text(), ClipTokenizer.openai().endId());
                    var x = quantized.encode(ids);
                    var y = dequantized.encode(ids);
                    assertClose(y.lastHiddenState(), x.lastHiddenState(), 1e-6, dtype + " " + p.key());
                    assertClose(y.pooled(), x.pooled(), 1e-6, dtype + " " + p.key());
                    // float8 is coarse: the result moves, but stays near the F16 model's.
                    assertClose(reference.state(p.key() + ".pad_eos.pooled"), x.pooled(), 1.0, dtype + " sanity");
                }
            }
        }
    }

    private static void checkAgainstReference(Path model) throws IOException {
        ClipTokenizer tokenizer = ClipTokenizer.openai();
        try (ModelWeights weights = ModelWeights.open(model)) {
            ClipTextModel clip = new ClipTextModel(weights, TextEncodersTiny.CLIP_HEADS, new CpuBackend());
            for (var p : prompts) {
                for (String padding : List.of("pad_eos", "pad_zero")) {
                    int[] ids = tokenizer.tokenize(p.text(), padding.equals("pad_eos") ? tokenizer.endId() : 0);
                    ClipTextModel.Output out = clip.encode(ids);
                    String c = p.key() + "." + padding + ".";
                    String what = model.getFileName() + " " + c;
                    assertArrayEquals(reference.ids().get(p.key() + ".tokens_" + padding), ids, what);
                    assertEquals(reference.ids().get(c + "eot_index")[0], out.eotIndex(), what + "eot");
                    assertClose(reference.state(c + "last_hidden_state"), out.lastHiddenState(), TOLERANCE,
                            what + "last_hidden_state");
                    assertClose(reference.state(c + "penultimate"), out.penultimate(), TOLERANCE, what + "penultimate");
                    assertClose(reference.state(c + "pooled"), out.pooled(), TOLERANCE, what + "pooled");
                    assertClose(reference.state(c + "pooled_projected"), out.pooledProjected(), TOLERANCE,
                            what + "pooled_projected");
                }
            }
        }
    }
}
