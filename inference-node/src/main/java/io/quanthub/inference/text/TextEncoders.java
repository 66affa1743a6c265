package io.quanthub.inference.text;

import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.json.Json;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.tokenizer.ClipTokenizer;
import io.quanthub.gguf.tokenizer.UnigramTokenizer;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.model.ModelWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Flux's two text encoders with their tokenizers: CLIP-L (EOS-padded to 77 tokens; its pooled state is Flux's
 * {@code y}) and the T5 v1.1 encoder (its states over the padded tokens are Flux's {@code txt}).
 *
 * <p>Tokenizers come from the files given, else from the model (a T5 GGUF carries its own), else the copies shipped in
 * the jar (openai's CLIP merges; T5 v1.1's tokenizer.json as ComfyUI ships it), which every Flux text encoder uses.
 */
public final class TextEncoders implements AutoCloseable {
    /** CLIP's head size in every released CLIP text tower (CLIP-B/L/G). */
    private static final int CLIP_HEAD_DIM = 64;

    private final ModelWeights clipWeights;
    private final ModelWeights t5Weights;
    private final ClipTokenizer clipTokenizer;
    private final UnigramTokenizer t5Tokenizer;
    private final ClipTextModel clip;
    private final T5Encoder t5;
    /** The encoders' own: closed with them. */
    private final ComputeBackend backend;

    private TextEncoders(ModelWeights clipWeights, ModelWeights t5Weights, ClipTokenizer clipTokenizer,
                         UnigramTokenizer t5Tokenizer, ComputeBackend backend) {
        this.backend = backend;
        this.clipWeights = clipWeights;
        this.t5Weights = t5Weights;
        this.clipTokenizer = clipTokenizer;
        this.t5Tokenizer = t5Tokenizer;
        this.clip = new ClipTextModel(clipWeights, clipHeads(clipWeights), backend);
        this.t5 = new T5Encoder(t5Weights, backend);
    }

    /**
     * Opens both encoders.
     *
     * @param clipVocab   openai's merges or HF's vocab.json (+ merges.txt), or null for the shipped one
     * @param t5Tokenizer an HF tokenizer.json, or null for the GGUF's own or the shipped one
     */
    public static TextEncoders open(Path clip, Path clipVocab, Path t5, Path t5Tokenizer, ComputeBackend backend)
            throws IOException {
        ClipTokenizer clipTok = clipVocab == null ? ClipTokenizer.openai() : ClipTokenizer.open(clipVocab);
        UnigramTokenizer t5Tok = t5Tokenizer != null
                ? UnigramTokenizer.fromTokenizerJson(Files.readString(t5Tokenizer))
                : ggufTokenizer(t5);
        ModelWeights clipWeights = ModelWeights.open(clip);
        try {
            ModelWeights t5Weights = ModelWeights.open(t5);
            try {
                return new TextEncoders(clipWeights, t5Weights, clipTok, t5Tok, backend);
            } catch (RuntimeException e) {
                t5Weights.close();
                throw new IOException(t5.getFileName() + ": " + e.getMessage(), e);
            }
        } catch (IOException | RuntimeException e) {
            clipWeights.close();
            throw e;
        }
    }

    /** The tokenizer a T5 GGUF carries, or the shipped T5 v1.1 one for safetensors or a GGUF without one. */
    private static UnigramTokenizer ggufTokenizer(Path t5) throws IOException {
        if (!ModelSource.isGguf(t5)) return UnigramTokenizer.t5();
        try (GgufFile gguf = GgufFile.open(t5)) {
            if (!gguf.metadata().containsKey("tokenizer.ggml.model")) return UnigramTokenizer.t5();
            return UnigramTokenizer.fromGguf(gguf.metadata());
        }
    }

    /**
     * CLIP's head count, which its weights do not tell: from a {@code config.json} next to the file (HF's
     * {@code num_attention_heads}, top level or in {@code text_config}, or a {@code clip} section), else hidden / 64.
     */
    @SuppressWarnings("unchecked")
    static int clipHeads(ModelWeights weights) {
        Path config = weights.path().resolveSibling("config.json");
        if (Files.isRegularFile(config)) {
            try {
                Map<String, Object> root = Json.parseObject(Files.readString(config));
                for (String section : new String[] {null, "text_config", "clip"}) {
                    Object m = section == null ? root : root.get(section);
                    if (m instanceof Map<?, ?> map && map.get("num_attention_heads") instanceof Number n) {
                        return n.intValue();
                    }
                }
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException(config + ": " + e.getMessage(), e);
            }
        }
        int hidden = weights.weight("text_model.embeddings.token_embedding.weight").cols();
        if (hidden % CLIP_HEAD_DIM != 0) {
            throw new IllegalArgumentException("CLIP hidden size " + hidden + " is not a multiple of 64: put a"
                    + " config.json with num_attention_heads next to " + weights.path().getFileName());
        }
        return hidden / CLIP_HEAD_DIM;
    }

    public ClipTokenizer clipTokenizer() {
        return clipTokenizer;
    }

    public UnigramTokenizer t5Tokenizer() {
        return t5Tokenizer;
    }

    public ClipTextModel clip() {
        return clip;
    }

    public T5Encoder t5() {
        return t5;
    }

    /** CLIP-L on the prompt's 77 EOS-padded tokens (BFL's and ComfyUI's Flux convention). */
    public ClipTextModel.Output encodeClip(String prompt) {
        return clip.encode(clipTokenizer.tokenize(prompt, clipTokenizer.endId()));
    }

    /** The prompt's T5 ids, ending with {@code </s>}, unpadded and uncut. */
    public int[] t5Ids(String prompt) {
        return t5Tokenizer.encode(prompt);
    }

    /** {@link #t5Ids} cut or padded with {@code <pad>} 0 to {@code length} (512 for Flux dev, 256 for schnell). */
    public int[] t5IdsPadded(String prompt, int length) {
        return UnigramTokenizer.padded(t5Ids(prompt), length, t5Tokenizer.eosId(), 0);
    }

    @Override
    public void close() {
        try (backend; clipWeights) {
            t5Weights.close();
        }
    }
}
