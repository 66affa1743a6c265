package io.quanthub.inference.text;

import io.quanthub.inference.compute.AttentionBias;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.Rows;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.model.Linear;
import io.quanthub.inference.model.ModelWeights;

import java.util.ArrayList;
import java.util.List;

/**
 * CLIP's text transformer (openai/CLIP {@code encode_text}, HF {@code CLIPTextModelWithProjection}) on HF-named
 * weights: token + position embeddings, pre-LN blocks with causal attention and quick-GELU MLPs, a final LayerNorm;
 * the pooled vector is the final state at the first end-of-text token (the largest id), optionally projected.
 */
public final class ClipTextModel {
    private static final String PREFIX = "text_model.";
    private static final float LN_EPS = 1e-5f;

    /** Everything {@link #encode} computes; arrays are row-major [tokens x hidden]. */
    public record Output(int[] ids, int hidden, float[] lastHiddenState, float[] penultimate, float[] pooled,
                         float[] pooledProjected, int eotIndex) {
    }

    private record Norm(float[] weight, float[] bias) {
        static Norm of(ModelWeights w, String name) {
            return new Norm(w.vector(name + ".weight"), w.vector(name + ".bias"));
        }
    }

    private record Layer(Norm norm1, Linear q, Linear k, Linear v, Linear out, Norm norm2, Linear fc1, Linear fc2) {
    }

    private final ComputeBackend backend;
    private final int heads;
    private final int hidden;
    private final Weight tokenEmbedding;
    private final float[] positions;
    private final int maxPositions;
    private final List<Layer> layers = new ArrayList<>();
    private final Norm finalNorm;
    private final Linear projection;

    /**
     * Binds HF-named weights ({@code text_model.*}, {@code text_projection.weight} optional) of an open model.
     *
     * @param heads attention heads (12 for CLIP-L, 20 for CLIP-G: the weights do not tell)
     */
    public ClipTextModel(ModelWeights weights, int heads, ComputeBackend backend) {
        this.backend = backend;
        this.heads = heads;
        this.tokenEmbedding = weights.weight(PREFIX + "embeddings.token_embedding.weight");
        this.hidden = tokenEmbedding.cols();
        if (heads <= 0 || hidden % heads != 0) {
            throw new IllegalArgumentException("CLIP hidden size " + hidden + " cannot be split in " + heads
                    + " heads");
        }
        Weight position = weights.weight(PREFIX + "embeddings.position_embedding.weight");
        this.positions = position.toFloats();
        this.maxPositions = position.rows();
        for (int i = 0; weights.has(layerName(i) + "layer_norm1.weight"); i++) {
            String p = layerName(i);
            layers.add(new Layer(Norm.of(weights, p + "layer_norm1"), Linear.of(weights, p + "self_attn.q_proj"),
                    Linear.of(weights, p + "self_attn.k_proj"), Linear.of(weights, p + "self_attn.v_proj"),
                    Linear.of(weights, p + "self_attn.out_proj"), Norm.of(weights, p + "layer_norm2"),
                    Linear.of(weights, p + "mlp.fc1"), Linear.of(weights, p + "mlp.fc2")));
        }
        if (layers.size() < 2) {
            throw new IllegalArgumentException(weights.path().getFileName() + " has " + layers.size()
                    + " CLIP text layers (text_model.encoder.layers.N); at least 2 are needed");
        }
        this.finalNorm = Norm.of(weights, PREFIX + "final_layer_norm");
        this.projection = weights.has("text_projection.weight")
                ? Linear.withoutBias(weights, "text_projection.weight") : null;
    }

    private static String layerName(int i) {
        return PREFIX + "encoder.layers." + i + ".";
    }

    public int hidden() {
        return hidden;
    }

    public int maxPositions() {
        return maxPositions;
    }

    /** Runs the tower on {@code ids} (at most {@link #maxPositions()}; Flux gives 77, EOS-padded). */
    public Output encode(int[] ids) {
        int tokens = ids.length;
        if (tokens == 0 || tokens > maxPositions) {
            throw new IllegalArgumentException("CLIP takes 1 to " + maxPositions + " tokens, got " + tokens);
        }
        float[] x = Embedding.lookup(tokenEmbedding, ids);
        for (int i = 0; i < x.length; i++) x[i] += positions[i];
        int headDim = hidden / heads;
        AttentionBias causal = AttentionBias.causal(headDim);
        float[] penultimate = null;
        for (int l = 0; l < layers.size(); l++) {
            if (l == layers.size() - 1) penultimate = x.clone();
            Layer layer = layers.get(l);
            float[] h = backend.layerNorm(x, tokens, hidden, LN_EPS, layer.norm1().weight(), layer.norm1().bias());
            float[] q = layer.q().apply(backend, h, tokens);
            float[] k = layer.k().apply(backend, h, tokens);
            float[] v = layer.v().apply(backend, h, tokens);
            float[] attn = backend.attention(q, k, v, tokens, heads, headDim, causal, new float[tokens * hidden]);
            add(x, layer.out().apply(backend, attn, tokens));
            h = backend.layerNorm(x, tokens, hidden, LN_EPS, layer.norm2().weight(), layer.norm2().bias());
            float[] mlp = layer.fc1().apply(backend, h, tokens);
            backend.quickGelu(mlp, mlp.length);
            add(x, layer.fc2().apply(backend, mlp, tokens));
        }
        float[] last = backend.layerNorm(x, tokens, hidden, LN_EPS, finalNorm.weight(), finalNorm.bias());
        int eot = argmax(ids);
        float[] pooled = Rows.rows(last, hidden, eot, 1);
        float[] projected = projection == null ? null : projection.apply(backend, pooled, 1);
        return new Output(ids.clone(), hidden, last, penultimate, pooled, projected, eot);
    }

    /** The first position of the largest id: the end-of-text token, whatever the padding. */
    private static int argmax(int[] ids) {
        int best = 0;
        for (int i = 1; i < ids.length; i++) {
            if (ids[i] > ids[best]) best = i;
        }
        return best;
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }
}
