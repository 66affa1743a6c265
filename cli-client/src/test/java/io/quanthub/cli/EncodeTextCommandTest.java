package io.quanthub.cli;

import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsModel;
import io.quanthub.gguf.safetensors.SafetensorsTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code quanthub debug encode-text} end to end on the shared tiny encoders: every prompt's ids and states equal the
 * references (openai/CLIP for CLIP, ComfyUI's torch T5 for T5).
 */
class EncodeTextCommandTest {
    private static final Path DIR = Path.of(System.getProperty("quanthub.testdata"), "text-encoders-tiny");
    private static final String[] KEYS = {"p00", "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10",
            "p11", "p12"};

    /** A safetensors file read whole: I32 tensors as ints, the rest widened to floats, with shapes. */
    private record Tensors(Map<String, int[]> ints, Map<String, float[]> floats, Map<String, long[]> shapes) {
        static Tensors read(Path file) throws IOException {
            Tensors t = new Tensors(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
            try (SafetensorsModel model = SafetensorsModel.open(file)) {
                for (SafetensorsTensor s : model.tensors()) {
                    int n = Math.toIntExact(s.elementCount());
                    t.shapes.put(s.name(), s.shape());
                    if (s.dtype() == Dtype.I32) {
                        int[] v = new int[n];
                        MemorySegment.copy(model.data(s),
                                ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v, 0, n);
                        t.ints.put(s.name(), v);
                    } else {
                        float[] v = new float[n];
                        s.dtype().widen(model.data(s), 0, v, 0, n);
                        t.floats.put(s.name(), v);
                    }
                }
            }
            return t;
        }
    }

    @Test
    void everyPromptOfTheSharedSetMatchesTheReferences(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("encoded.safetensors");
        Cli run = Cli.run("debug", "encode-text", "--clip", DIR.resolve("clip_l.safetensors").toString(),
                "--clip-vocab", DIR.resolve("bpe_simple_vocab_16e6.txt.gz").toString(),
                "--t5", DIR.resolve("t5.gguf").toString(), "--prompts", DIR.resolve("prompts.json").toString(),
                "--out", out.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("13 prompts"), run.out());
        Tensors got = Tensors.read(out);
        Tensors clip = Tensors.read(DIR.resolve("clip_reference.safetensors"));
        Tensors t5 = Tensors.read(DIR.resolve("t5_reference.safetensors"));
        for (String k : KEYS) {
            assertArrayEquals(clip.ints.get(k + ".tokens_pad_eos"), got.ints.get(k + ".clip.ids"), k);
            close(clip.floats.get(k + ".pad_eos.last_hidden_state"), got.floats.get(k + ".clip.last_hidden_state"),
                    1e-4, k);
            close(clip.floats.get(k + ".pad_eos.penultimate"), got.floats.get(k + ".clip.penultimate"), 1e-4, k);
            close(clip.floats.get(k + ".pad_eos.pooled"), got.floats.get(k + ".clip.pooled"), 1e-4, k);
            assertArrayEquals(new long[] {77, 64}, got.shapes.get(k + ".clip.last_hidden_state"));
            assertArrayEquals(new long[] {64}, got.shapes.get(k + ".clip.pooled"));
            int[] ids = got.ints.get(k + ".t5.ids");
            assertArrayEquals(t5.ints.get(k + ".ids"), ids, k);
            assertEquals(1, ids[ids.length - 1]);
            close(t5.floats.get(k + ".hidden.comfy_torch"), got.floats.get(k + ".t5.states"), 1e-4, k);
            assertArrayEquals(new long[] {ids.length, 64}, got.shapes.get(k + ".t5.states"));
            assertArrayEquals(t5.ints.get(k + ".ids_pad512"), got.ints.get(k + ".t5.ids_padded"), k);
            close(t5.floats.get(k + ".hidden_pad512.comfy_torch"), got.floats.get(k + ".t5.states_padded"), 1e-4, k);
        }
    }

    @Test
    void onePromptWithSafetensorsT5AndSchnellLength(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("one.safetensors");
        Cli run = Cli.run("debug", "encode-text", "--clip", DIR.resolve("clip_l.safetensors").toString(),
                "--t5", DIR.resolve("t5.safetensors").toString(),
                "--t5-tokenizer", DIR.resolve("t5_tokenizer/tokenizer.json").toString(),
                "--prompt", "a photo of a cat", "--t5-length", "256", "--out", out.toString());
        assertEquals(0, run.exit(), run.err());
        Tensors got = Tensors.read(out);
        assertEquals(8, got.shapes.size(), got.shapes.keySet().toString());
        assertArrayEquals(new int[] {3, 9, 1202, 13, 3, 9, 1712, 1}, got.ints.get("t5.ids"));
        Tensors t5 = Tensors.read(DIR.resolve("t5_reference.safetensors"));
        assertArrayEquals(t5.ints.get("p01.ids_pad256"), got.ints.get("t5.ids_padded"));
        assertArrayEquals(new long[] {256, 64}, got.shapes.get("t5.states_padded"));
        close(t5.floats.get("p01.hidden.llamacpp"), got.floats.get("t5.states"), 3e-3, "llama.cpp");
    }

    @Test
    void badInputFailsWithOneLineAndWritesNothing(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("x.safetensors");
        Path prompts = Files.writeString(dir.resolve("p.json"),
                "[{\"key\": \"a\", \"text\": \"x\"}, {\"key\": \"a\", \"text\": \"y\"}]");
        Cli run = Cli.run("debug", "encode-text", "--clip", DIR.resolve("clip_l.safetensors").toString(),
                "--t5", DIR.resolve("t5.gguf").toString(), "--prompts", prompts.toString(), "--out", out.toString());
        assertEquals(1, run.exit());
        assertTrue(run.err().contains("key 'a' appears twice"), run.err());
        Cli none = Cli.run("debug", "encode-text", "--clip", "c", "--t5", "t", "--out", out.toString());
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("--prompt"), none.err());
        assertFalse(Files.exists(out));
    }

    private static void close(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        assertTrue(worst <= tolerance, what + ": max abs diff " + worst + " > " + tolerance + " "
                + Arrays.toString(Arrays.copyOf(actual, 4)));
    }
}
