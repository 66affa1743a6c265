package io.quanthub.inference.preview;

import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.gguf.synthetic.FluxShape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Random-weight CLIP-L and T5 encoders sized for a {@link DemoModel}, so the demo's previews take prompts: HF-named
 * safetensors (F16 matrices, F32 norms) with ComfyUI's file names, kept in a repository of their own (the T5 file
 * has more parameters than the demo transformer, so next to it the hub would take the repository for a T5 model) and
 * named by the model's {@code quanthub.json} ({@link #quanthubJson}). The node runs them with the real tokenizers
 * shipped in the jar (openai's CLIP BPE, T5 v1.1's Unigram). CLIP's hidden
 * width is the transformer's vector width (its pooled state is Flux's {@code y}), T5's model width its context width
 * (its states are {@code txt}). The weights are random: a prompt changes the picture, but the picture is noise.
 */
public final class DemoTextEncoders {
    public static final String CLIP_FILE = "clip_l.safetensors";
    public static final String T5_FILE = "t5xxl_fp16.safetensors";
    /** The vocabularies of the shipped tokenizers: every id they produce needs an embedding row. */
    static final int CLIP_VOCAB = 49408;
    static final int T5_VOCAB = 32128;
    static final int CLIP_POSITIONS = 77;
    static final int LAYERS = 2;
    static final int T5_HEADS = 4;
    static final int T5_BUCKETS = 32;

    private DemoTextEncoders() {
    }

    /**
     * Writes {@value #CLIP_FILE} and {@value #T5_FILE} under {@code dir} for a transformer of {@code shape}.
     *
     * @return the files written, relative to {@code dir}
     */
    public static List<String> write(Path dir, long seed, FluxShape shape) throws IOException {
        return List.of(DemoModel.save(dir, CLIP_FILE, clip(seed, shape.vectorWidth())),
                DemoModel.save(dir, T5_FILE, t5(seed + 1_000_000, shape.contextWidth())));
    }

    /** A model's {@code quanthub.json} naming the encoders as committed to repository {@code repo}. */
    public static String quanthubJson(String repo) {
        return "{\"text_encoders\": {\"clip_l\": \"" + repo + "/" + CLIP_FILE + "\", \"t5xxl\": \"" + repo + "/"
                + T5_FILE + "\"}}\n";
    }

    /** HF's CLIPTextModel: hidden {@code h}, heads of 64, MLP 4h, two layers. */
    private static SafetensorsWriter clip(long seed, int h) {
        Tensors t = new Tensors(seed);
        String p = "text_model.";
        t.matrix(p + "embeddings.token_embedding.weight", CLIP_VOCAB, h, 0.02f);
        t.matrix(p + "embeddings.position_embedding.weight", CLIP_POSITIONS, h, 0.01f);
        for (int i = 0; i < LAYERS; i++) {
            String l = p + "encoder.layers." + i + ".";
            t.layerNorm(l + "layer_norm1", h);
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) t.linear(l + "self_attn." + proj, h, h);
            t.layerNorm(l + "layer_norm2", h);
            t.linear(l + "mlp.fc1", 4 * h, h);
            t.linear(l + "mlp.fc2", h, 4 * h);
        }
        t.layerNorm(p + "final_layer_norm", h);
        return t.writer;
    }

    /** HF's T5EncoderModel: model width {@code d}, four heads of d/4, gated FFN of 2d, two blocks. */
    private static SafetensorsWriter t5(long seed, int d) {
        Tensors t = new Tensors(seed);
        t.matrix("shared.weight", T5_VOCAB, d, 1f);
        for (int i = 0; i < LAYERS; i++) {
            String b = "encoder.block." + i + ".layer.";
            t.norm(b + "0.layer_norm.weight", d);
            for (String proj : List.of("q", "k", "v", "o")) {
                t.matrix(b + "0.SelfAttention." + proj + ".weight", d, d, 1f / (float) Math.sqrt(d));
            }
            // One table of position biases, in block 0, shared by all blocks (as T5 stores it).
            if (i == 0) t.matrix(b + "0.SelfAttention.relative_attention_bias.weight", T5_BUCKETS, T5_HEADS, 0.1f);
            t.norm(b + "1.layer_norm.weight", d);
            t.matrix(b + "1.DenseReluDense.wi_0.weight", 2 * d, d, 1f / (float) Math.sqrt(d));
            t.matrix(b + "1.DenseReluDense.wi_1.weight", 2 * d, d, 1f / (float) Math.sqrt(d));
            t.matrix(b + "1.DenseReluDense.wo.weight", d, 2 * d, 1f / (float) Math.sqrt(2 * d));
        }
        t.norm("encoder.final_layer_norm.weight", d);
        return t.writer;
    }

    /** Writes tensors, each from its own seed. */
    private static final class Tensors {
        final SafetensorsWriter writer = new SafetensorsWriter();
        long seed;

        Tensors(long seed) {
            this.seed = seed;
        }

        void matrix(String name, int rows, int cols, float scale) {
            writer.add(name, Dtype.F16, new long[] {rows, cols}, DemoModel.gaussian(seed++, rows * cols, scale));
        }

        void linear(String name, int out, int in) {
            matrix(name + ".weight", out, in, 1f / (float) Math.sqrt(in));
            writer.addF32(name + ".bias", new long[] {out}, DemoModel.gaussian(seed++, out, 0.02f));
        }

        void layerNorm(String name, int width) {
            writer.addF32(name + ".weight", new long[] {width}, DemoModel.constant(width, 1f));
            writer.addF32(name + ".bias", new long[] {width}, new float[width]);
        }

        void norm(String name, int width) {
            writer.addF32(name, new long[] {width}, DemoModel.constant(width, 1f));
        }
    }
}
