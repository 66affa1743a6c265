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

    private record Norm(Tensor weight, Tensor bias) {
        static Norm of(ComputeBackend b, ModelWeights w, String name) {
            return new Norm(b.upload(w.vector(name + ".weight")), b.upload(w.vector(name + ".bias")));
        }
    }

    private record Layer(Norm norm1, Linear q, Linear k, Linear v, Linear out, Norm norm2, Linear fc1, Linear fc2) {
    }

    private final ComputeBackend backend;
    private final int heads;
    private final int hidden;
    private final BackendWeight tokenEmbedding;
    /** [maxPositions x hidden]. */
    private final Tensor positions;
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
        this.tokenEmbedding = backend.load(weights.weight(PREFIX + "embeddings.token_embedding.weight"));
        this.hidden = tokenEmbedding.cols();
        if (heads <= 0 || hidden % heads != 0) {
            throw new IllegalArgumentException("CLIP hidden size " + hidden + " cannot be split in " + heads
                    + " heads");
        }
        Weight position = weights.weight(PREFIX + "embeddings.position_embedding.weight");
        this.positions = backend.upload(position.toFloats(), position.rows(), position.cols());
        this.maxPositions = position.rows();
        for (int i = 0; weights.has(layerName(i) + "layer_norm1.weight"); i++) {
            String p = layerName(i);
            layers.add(new Layer(Norm.of(backend, weights, p + "layer_norm1"),
                    Linear.of(backend, weights, p + "self_attn.q_proj"),
                    Linear.of(backend, weights, p + "self_attn.k_proj"),
                    Linear.of(backend, weights, p + "self_attn.v_proj"),
                    Linear.of(backend, weights, p + "self_attn.out_proj"), Norm.of(backend, weights, p + "layer_norm2"),
                    Linear.of(backend, weights, p + "mlp.fc1"), Linear.of(backend, weights, p + "mlp.fc2")));
        }
        if (layers.size() < 2) {
            throw new IllegalArgumentException(weights.path().getFileName() + " has " + layers.size()
                    + " CLIP text layers (text_model.encoder.layers.N); at least 2 are needed");
        }
        this.finalNorm = Norm.of(backend, weights, PREFIX + "final_layer_norm");
        this.projection = weights.has("text_projection.weight")
                ? Linear.withoutBias(backend, weights, "text_projection.weight") : null;
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
        Tensor x = backend.embedding(tokenEmbedding, ids);
        Tensor position = backend.rows(positions, 0, tokens);
        addAndFree(x, position);
        int headDim = hidden / heads;
        AttentionBias causal = AttentionBias.causal(headDim);
        Tensor penultimate = null;
        for (int l = 0; l < layers.size(); l++) {
            if (l == layers.size() - 1) penultimate = backend.copy(x);
            Layer layer = layers.get(l);
            Tensor h = backend.layerNorm(x, LN_EPS, layer.norm1().weight(), layer.norm1().bias());
            Tensor q = layer.q().apply(backend, h);
            Tensor k = layer.k().apply(backend, h);
            Tensor v = layer.v().apply(backend, h);
            backend.free(h);
            Tensor attn = backend.attention(q, k, v, heads, causal);
            backend.free(q, k, v);
            addAndFree(x, layer.out().apply(backend, attn));
            backend.free(attn);
            h = backend.layerNorm(x, LN_EPS, layer.norm2().weight(), layer.norm2().bias());
            Tensor mlp = layer.fc1().apply(backend, h);
            backend.free(h);
            backend.quickGelu(mlp);
            addAndFree(x, layer.fc2().apply(backend, mlp));
            backend.free(mlp);
        }
        Tensor last = backend.layerNorm(x, LN_EPS, finalNorm.weight(), finalNorm.bias());
        backend.free(x);
        int eot = argmax(ids);
        Tensor pooled = backend.rows(last, eot, 1);
        Tensor projected = projection == null ? null : projection.apply(backend, pooled);
        try {
            return new Output(ids.clone(), hidden, backend.download(last), backend.download(penultimate),
                    backend.download(pooled), projected == null ? null : backend.download(projected), eot);
        } finally {
            backend.free(last, penultimate, pooled, projected);
        }
    }

    /** The first position of the largest id: the end-of-text token, whatever the padding. */
    private static int argmax(int[] ids) {
        int best = 0;
        for (int i = 1; i < ids.length; i++) {
            if (ids[i] > ids[best]) best = i;
        }
        return best;
    }

    private void addAndFree(Tensor x, Tensor y) {
        backend.add(x, y);
        backend.free(y);
    }
}
