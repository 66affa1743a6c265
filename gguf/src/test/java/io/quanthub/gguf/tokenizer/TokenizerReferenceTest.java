package io.quanthub.gguf.tokenizer;

import io.quanthub.gguf.format.GgufFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quanthub.gguf.json.Json;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Both tokenizers give the reference ids for all 13 shared prompts: CLIP against openai/CLIP's {@code clip.tokenize},
 * T5 against llama.cpp's {@code llama_tokenize} (equal to sentencepiece), from every source they can be read from.
 */
class TokenizerReferenceTest {
    private static List<TextEncoderReferences.Prompt> prompts;
    private static Map<String, int[]> clipRef;
    private static Map<String, int[]> t5Ref;

    @BeforeAll
    static void load() throws IOException {
        prompts = TextEncoderReferences.prompts();
        clipRef = TextEncoderReferences.ints(TextEncoderReferences.DIR.resolve("clip_reference.safetensors"));
        t5Ref = TextEncoderReferences.ints(TextEncoderReferences.DIR.resolve("t5_reference.safetensors"));
        assertEquals(13, prompts.size());
    }

    @Test
    void clipIdsEqualOpenaiForEveryPrompt() throws IOException {
        ClipTokenizer fromFile = ClipTokenizer.open(TextEncoderReferences.DIR.resolve("bpe_simple_vocab_16e6.txt.gz"));
        for (ClipTokenizer clip : List.of(fromFile, ClipTokenizer.openai())) {
            for (var p : prompts) {
                assertArrayEquals(clipRef.get(p.key() + ".ids"), clip.encodeWithSpecials(p.text()),
                        p.key() + " " + p.id());
                assertArrayEquals(clipRef.get(p.key() + ".tokens_pad_eos"), clip.tokenize(p.text(), clip.endId()),
                        p.key());
                assertArrayEquals(clipRef.get(p.key() + ".tokens_pad_zero"), clip.tokenize(p.text(), 0), p.key());
            }
        }
    }

    @Test
    void clipReadsHfVocabAndMergesToo(@TempDir Path dir) throws IOException {
        // HF's vocab.json + merges.txt (openai/clip-vit-large-patch14's layout), written from openai's vocabulary.
        ClipTokenizer openai = ClipTokenizer.openai();
        List<String> merges;
        try (var in = new GZIPInputStream(Files.newInputStream(
                TextEncoderReferences.DIR.resolve("bpe_simple_vocab_16e6.txt.gz")))) {
            merges = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList().subList(1, 48895);
        }
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", merges) + "\n");
        Files.writeString(dir.resolve("vocab.json"), Json.write(new TreeMap<>(openai.vocabulary())));
        ClipTokenizer hf = ClipTokenizer.open(dir);
        for (var p : prompts) {
            assertArrayEquals(clipRef.get(p.key() + ".ids"), hf.encodeWithSpecials(p.text()), p.key());
        }
    }

    @Test
    void t5IdsEqualLlamaCppFromTokenizerJsonGgufAndTheBundledCopy() throws IOException {
        UnigramTokenizer json = UnigramTokenizer.fromTokenizerJson(
                Files.readString(TextEncoderReferences.DIR.resolve("t5_tokenizer/tokenizer.json")));
        UnigramTokenizer gguf;
        try (GgufFile file = GgufFile.open(TextEncoderReferences.DIR.resolve("t5.gguf"))) {
            gguf = UnigramTokenizer.fromGguf(file.metadata());
        }
        for (UnigramTokenizer t5 : List.of(json, gguf, UnigramTokenizer.t5())) {
            for (var p : prompts) {
                int[] ids = t5.encode(p.text());
                assertArrayEquals(t5Ref.get(p.key() + ".ids"), ids,
                        p.key() + " " + p.id() + ": " + Arrays.toString(ids));
                assertArrayEquals(t5Ref.get(p.key() + ".ids_pad512"), UnigramTokenizer.padded(ids, 512, 1, 0),
                        p.key());
                assertArrayEquals(t5Ref.get(p.key() + ".ids_pad256"), UnigramTokenizer.padded(ids, 256, 1, 0),
                        p.key());
            }
        }
        assertArrayEquals(new int[] {3, 9, 1202, 13, 3, 9, 1712, 1}, json.encode("a photo of a cat"));
    }

    @Test
    void badTokenizerFilesFailNamingTheProblem() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> UnigramTokenizer.fromTokenizerJson("{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}"));
        assertEquals("tokenizer.json: model type is BPE, not Unigram", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.fromOpenaiMerges("version\na b\n"));
    }
}
