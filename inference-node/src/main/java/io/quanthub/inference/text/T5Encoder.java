package io.quanthub.inference.text;

import io.quanthub.inference.compute.AttentionBias;
import io.quanthub.inference.compute.BackendWeight;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.Tensor;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.model.Linear;
import io.quanthub.inference.model.ModelWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The T5 v1.1 encoder (HF {@code T5EncoderModel}, ComfyUI {@code comfy/text_encoders/t5.py}, llama.cpp's
 * {@code t5encoder}): token embeddings, pre-norm blocks of unscaled self-attention with a bucketed relative-position
 * bias (learned by block 0, used by all) and a gated tanh-GELU feed-forward, RMS norms without bias, a final RMS norm.
 * No attention mask: Flux attends to the padding too.
 *
 * <p>Weights may carry HF's names (safetensors, e.g. ComfyUI's {@code t5xxl_fp16} / {@code t5xxl_fp8_e4m3fn}) or
 * llama.cpp's (GGUF: {@code token_embd}, {@code enc.blk.N.attn_q} ..., as city96's T5 GGUFs), in any stored type.
 */
public final class T5Encoder {
    /** llama.cpp's fixed maximum distance of the position buckets (HF {@code relative_attention_max_distance}). */
    static final int MAX_DISTANCE = 128;

    /** HF name (per block {@code %d}) to llama.cpp name, as llama.cpp's converter maps them. */
    static final Map<String, String> GGUF_NAMES = Map.ofEntries(
            Map.entry("shared.weight", "token_embd.weight"),
            Map.entry("encoder.block.%d.layer.0.SelfAttention.q.weight", "enc.blk.%d.attn_q.weight"),
            Map.entry("encoder.block.%d.layer.0.SelfAttention.k.weight", "enc.blk.%d.attn_k.weight"),
            Map.entry("encoder.block.%d.layer.0.SelfAttention.v.weight", "enc.blk.%d.attn_v.weight"),
            Map.entry("encoder.block.%d.layer.0.SelfAttention.o.weight", "enc.blk.%d.attn_o.weight"),
            Map.entry("encoder.block.%d.layer.0.SelfAttention.relative_attention_bias.weight",
                    "enc.blk.%d.attn_rel_b.weight"),
            Map.entry("encoder.block.%d.layer.0.layer_norm.weight", "enc.blk.%d.attn_norm.weight"),
            Map.entry("encoder.block.%d.layer.1.DenseReluDense.wi_0.weight", "enc.blk.%d.ffn_gate.weight"),
            Map.entry("encoder.block.%d.layer.1.DenseReluDense.wi_1.weight", "enc.blk.%d.ffn_up.weight"),
            Map.entry("encoder.block.%d.layer.1.DenseReluDense.wo.weight", "enc.blk.%d.ffn_down.weight"),
            Map.entry("encoder.block.%d.layer.1.layer_norm.weight", "enc.blk.%d.ffn_norm.weight"),
            Map.entry("encoder.final_layer_norm.weight", "enc.output_norm.weight"));

    private record Block(Tensor attnNorm, Linear q, Linear k, Linear v, Linear o, Tensor ffnNorm, Linear gate,
                         Linear up, Linear down) {
    }

    private final ComputeBackend backend;
    private final BackendWeight embedding;
    private final int dModel;
    private final int heads;
    private final int headDim;
    private final int buckets;
    /** [buckets x heads], block 0's. */
    private final float[] relativeTable;
    private final List<Block> blocks = new ArrayList<>();
    private final Tensor finalNorm;

    /** Binds the weights of an open model (HF or llama.cpp names). */
    public T5Encoder(ModelWeights weights, ComputeBackend backend) {
        this.backend = backend;
        boolean gguf = weights.has("token_embd.weight");
        Names names = new Names(weights, gguf, backend);
        this.embedding = backend.load(weights.has("shared.weight") || gguf ? names.weight("shared.weight", 0)
                : weights.weight("encoder.embed_tokens.weight"));
        this.dModel = embedding.cols();
        Weight rel = names.weight("encoder.block.%d.layer.0.SelfAttention.relative_attention_bias.weight", 0);
        this.buckets = rel.rows();
        this.heads = rel.cols();
        this.relativeTable = rel.toFloats();
        for (int i = 0; names.has("encoder.block.%d.layer.0.layer_norm.weight", i); i++) {
            blocks.add(new Block(names.vector("encoder.block.%d.layer.0.layer_norm.weight", i),
                    names.linear("encoder.block.%d.layer.0.SelfAttention.q.weight", i),
                    names.linear("encoder.block.%d.layer.0.SelfAttention.k.weight", i),
                    names.linear("encoder.block.%d.layer.0.SelfAttention.v.weight", i),
                    names.linear("encoder.block.%d.layer.0.SelfAttention.o.weight", i),
                    names.vector("encoder.block.%d.layer.1.layer_norm.weight", i),
                    names.linear("encoder.block.%d.layer.1.DenseReluDense.wi_0.weight", i),
                    names.linear("encoder.block.%d.layer.1.DenseReluDense.wi_1.weight", i),
                    names.linear("encoder.block.%d.layer.1.DenseReluDense.wo.weight", i)));
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException(weights.path().getFileName() + " has no T5 encoder blocks");
        }
        int inner = blocks.getFirst().q().outFeatures();
        if (inner % heads != 0) {
            throw new IllegalArgumentException("T5 attention width " + inner + " cannot be split in " + heads
                    + " heads");
        }
        this.headDim = inner / heads;
        this.finalNorm = names.vector("encoder.final_layer_norm.weight", 0);
    }

    /** Looks tensors up by their HF name, translated to llama.cpp's for a GGUF. */
    private record Names(ModelWeights weights, boolean gguf, ComputeBackend backend) {
        String name(String hf, int block) {
            return String.format(java.util.Locale.ROOT, gguf ? GGUF_NAMES.get(hf) : hf, block);
        }

        boolean has(String hf, int block) {
            return weights.has(name(hf, block));
        }

        Weight weight(String hf, int block) {
            return weights.weight(name(hf, block));
        }

        Tensor vector(String hf, int block) {
            return backend.upload(weights.vector(name(hf, block)));
        }

        Linear linear(String hf, int block) {
            return Linear.withoutBias(backend, weights, name(hf, block));
        }
    }

    public int dModel() {
        return dModel;
    }

    /** The final states [ids.length x dModel] of the encoder over {@code ids} (no mask). */
    public float[] encode(int[] ids) {
        int tokens = ids.length;
        if (tokens == 0) throw new IllegalArgumentException("T5 needs at least one token");
        Tensor x = backend.embedding(embedding, ids);
        AttentionBias bias = AttentionBias.relative(relativeBias(tokens));
        for (Block b : blocks) {
            Tensor h = backend.copy(x);
            backend.rmsNorm(h, dModel, b.attnNorm());
            Tensor q = b.q().apply(backend, h);
            Tensor k = b.k().apply(backend, h);
            Tensor v = b.v().apply(backend, h);
            backend.free(h);
            Tensor attn = backend.attention(q, k, v, heads, bias);
            backend.free(q, k, v);
            addAndFree(x, b.o().apply(backend, attn));
            backend.free(attn);
            h = backend.copy(x);
            backend.rmsNorm(h, dModel, b.ffnNorm());
            Tensor gate = b.gate().apply(backend, h);
            Tensor up = b.up().apply(backend, h);
            backend.free(h);
            backend.gelu(gate);
            backend.multiply(gate, up);
            backend.free(up);
            addAndFree(x, b.down().apply(backend, gate));
            backend.free(gate);
        }
        backend.rmsNorm(x, dModel, finalNorm);
        try {
            return backend.download(x);
        } finally {
            backend.free(x);
        }
    }

    /** [heads x (2 tokens - 1)]: the learned bias of each head for each distance {@code key - query}. */
    float[] relativeBias(int tokens) {
        int span = 2 * tokens - 1;
        float[] out = new float[heads * span];
        for (int d = -(tokens - 1); d < tokens; d++) {
            int bucket = bucket(d, buckets, MAX_DISTANCE);
            for (int h = 0; h < heads; h++) out[h * span + d + tokens - 1] = relativeTable[bucket * heads + h];
        }
        return out;
    }

    /**
     * HF's {@code _relative_position_bucket} (bidirectional), in float as torch computes it: half the buckets for keys
     * after the query; exact distances below a quarter of the buckets, logarithmic bins up to {@code maxDistance}.
     */
    static int bucket(int relative, int numBuckets, int maxDistance) {
        int half = numBuckets / 2;
        int base = relative > 0 ? half : 0;
        int n = Math.abs(relative);
        int maxExact = half / 2;
        if (n < maxExact) return base + n;
        float log = (float) Math.log((float) n / maxExact);
        float scaled = log / (float) Math.log((double) maxDistance / maxExact) * (half - maxExact);
        return base + Math.min(maxExact + (int) scaled, half - 1);
    }

    private void addAndFree(Tensor x, Tensor y) {
        backend.add(x, y);
        backend.free(y);
    }
}
