package io.quanthub.inference.flux;

import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.RopeTable;
import io.quanthub.inference.compute.Rows;
import io.quanthub.inference.compute.Tensor;
import io.quanthub.inference.model.Linear;
import io.quanthub.inference.model.ModelWeights;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * The Flux.1 transformer (black-forest-labs/flux {@code model.py} and {@code modules/layers.py}), batch size 1.
 * Weights are loaded into the backend in their stored type; every operation of a forward runs on the backend, and only
 * the inputs go up and the velocity comes down.
 */
public final class FluxModel {
    private static final float LN_EPS = 1e-6f;

    /** {@code MLPEmbedder}: Linear, SiLU, Linear. */
    record MlpEmbedder(Linear in, Linear out) {
        static MlpEmbedder of(ComputeBackend b, ModelWeights w, String name) {
            return new MlpEmbedder(Linear.of(b, w, name + ".in_layer"), Linear.of(b, w, name + ".out_layer"));
        }
    }

    /** One stream (img or txt) of a double block. */
    record StreamWeights(Linear mod, Linear qkv, Tensor queryNorm, Tensor keyNorm, Linear proj, Linear mlpIn,
                         Linear mlpOut) {
        static StreamWeights of(ComputeBackend b, ModelWeights w, String prefix) {
            return new StreamWeights(Linear.of(b, w, prefix + "_mod.lin"), Linear.of(b, w, prefix + "_attn.qkv"),
                    b.upload(w.vector(prefix + "_attn.norm.query_norm.scale")),
                    b.upload(w.vector(prefix + "_attn.norm.key_norm.scale")),
                    Linear.of(b, w, prefix + "_attn.proj"), Linear.of(b, w, prefix + "_mlp.0"),
                    Linear.of(b, w, prefix + "_mlp.2"));
        }
    }

    record DoubleBlock(StreamWeights img, StreamWeights txt) {
    }

    record SingleBlock(Linear mod, Linear linear1, Linear linear2, Tensor queryNorm, Tensor keyNorm) {
        static SingleBlock of(ComputeBackend b, ModelWeights w, String prefix) {
            return new SingleBlock(Linear.of(b, w, prefix + ".modulation.lin"), Linear.of(b, w, prefix + ".linear1"),
                    Linear.of(b, w, prefix + ".linear2"), b.upload(w.vector(prefix + ".norm.query_norm.scale")),
                    b.upload(w.vector(prefix + ".norm.key_norm.scale")));
        }
    }

    /** shift, scale, gate [1 x hidden]: one third of a {@code Modulation} output. */
    record Modulation(Tensor shift, Tensor scale, Tensor gate) {
        /** The {@code index}-th (shift, scale, gate) triple of a modulation vector of 3 or 6 chunks of {@code dim}. */
        static Modulation chunk(ComputeBackend b, Tensor mod, int index, int dim) {
            int base = index * 3 * dim;
            return new Modulation(b.columns(mod, base, dim), b.columns(mod, base + dim, dim),
                    b.columns(mod, base + 2 * dim, dim));
        }

        void free(ComputeBackend b) {
            b.free(shift, scale, gate);
        }
    }

    /** Query, key and value [tokens x hidden] after QK-norm. */
    private record Qkv(Tensor q, Tensor k, Tensor v) {
    }

    /** The RoPE angles of one call, [tokens x pairs] each. */
    private record Rope(Tensor cos, Tensor sin) {
    }

    private final FluxConfig config;
    private final ComputeBackend backend;
    private final Linear imgIn;
    private final Linear txtIn;
    private final MlpEmbedder timeIn;
    private final MlpEmbedder guidanceIn;
    private final MlpEmbedder vectorIn;
    private final List<DoubleBlock> doubleBlocks;
    private final List<SingleBlock> singleBlocks;
    private final Linear finalModulation;
    private final Linear finalLinear;
    /** The token count of the last call: the backend's kept tensors are dropped when it changes. */
    private final AtomicInteger lastTokens = new AtomicInteger();

    /** Loads the weights of {@code weights} (which must stay open while the model is used) into {@code backend}. */
    public FluxModel(ModelWeights weights, ComputeBackend backend) {
        this.config = FluxConfig.of(weights);
        this.backend = backend;
        this.imgIn = Linear.of(backend, weights, "img_in");
        this.txtIn = Linear.of(backend, weights, "txt_in");
        this.timeIn = MlpEmbedder.of(backend, weights, "time_in");
        this.guidanceIn = config.guidanceEmbed() ? MlpEmbedder.of(backend, weights, "guidance_in") : null;
        this.vectorIn = MlpEmbedder.of(backend, weights, "vector_in");
        this.doubleBlocks = IntStream.range(0, config.depth())
                .mapToObj(i -> new DoubleBlock(StreamWeights.of(backend, weights, "double_blocks." + i + ".img"),
                        StreamWeights.of(backend, weights, "double_blocks." + i + ".txt")))
                .toList();
        this.singleBlocks = IntStream.range(0, config.depthSingleBlocks())
                .mapToObj(i -> SingleBlock.of(backend, weights, "single_blocks." + i))
                .toList();
        this.finalModulation = Linear.of(backend, weights, "final_layer.adaLN_modulation.1");
        this.finalLinear = Linear.of(backend, weights, "final_layer.linear");
    }

    public FluxConfig config() {
        return config;
    }

    /**
     * One transformer call: the predicted velocity [imgTokens x outChannels]. Activations are the backend's, freed as
     * soon as they are used, so a process that renders many images reuses the same storage in every call.
     */
    public float[] forward(FluxInputs in) {
        check(in);
        int tokens = in.txtTokens() + in.imgTokens();
        int previous = lastTokens.getAndSet(tokens);
        if (previous != tokens && previous != 0) backend.trim(); // other sizes now: let the old storage go
        Tensor result = forward(backend.upload(in.img(), in.imgTokens(), config.inChannels()),
                backend.upload(in.txt(), in.txtTokens(), config.contextInDim()), in);
        try {
            return backend.download(result);
        } finally {
            backend.free(result);
        }
    }

    /** The forward on uploaded latent and text rows (both freed here); the rest of {@code in} is read on the host. */
    private Tensor forward(Tensor imgInput, Tensor txtInput, FluxInputs in) {
        int hidden = config.hiddenSize();
        int txtTokens = in.txtTokens();
        int imgTokens = in.imgTokens();
        int tokens = txtTokens + imgTokens;

        Tensor img = imgIn.apply(backend, imgInput);
        Tensor txt = txtIn.apply(backend, txtInput);
        backend.free(imgInput, txtInput);

        Tensor vec = embed(timeIn, FluxEmbeddings.timestep(in.timestep(), FluxConfig.TIME_EMBED_DIM));
        if (guidanceIn != null) {
            addAndFree(vec, embed(guidanceIn, FluxEmbeddings.timestep(in.guidance(), FluxConfig.TIME_EMBED_DIM)));
        }
        Tensor y = backend.upload(in.y());
        addAndFree(vec, embed(vectorIn, y));
        backend.free(y);
        // Every modulation layer is Linear(SiLU(vec)).
        Tensor siluVec = backend.copy(vec);
        backend.free(vec);
        backend.silu(siluVec);

        // Text tokens come first in the joint sequence, for positions as for attention.
        RopeTable table = FluxEmbeddings.rope(Rows.concatRows(in.txtIds(), in.imgIds()), tokens, config.axesDim(),
                config.theta());
        Rope pe = new Rope(backend.upload(table.cos(), tokens, table.pairs()),
                backend.upload(table.sin(), tokens, table.pairs()));

        for (DoubleBlock block : doubleBlocks) doubleBlock(block, img, txt, siluVec, pe);
        Tensor x = backend.concatRows(txt, img);
        backend.free(txt, img);
        for (SingleBlock block : singleBlocks) singleBlock(block, x, siluVec, pe);
        backend.free(pe.cos(), pe.sin());

        Tensor out = backend.rows(x, txtTokens, imgTokens);
        backend.free(x);
        Tensor result = finalLayer(out, siluVec);
        backend.free(out, siluVec);
        return result;
    }

    /** The embedder on a host vector (a timestep embedding, or an uploaded {@code y}). */
    private Tensor embed(MlpEmbedder e, float[] x) {
        Tensor t = backend.upload(x);
        Tensor out = embed(e, t);
        backend.free(t);
        return out;
    }

    private Tensor embed(MlpEmbedder e, Tensor x) {
        Tensor h = e.in().apply(backend, x);
        backend.silu(h);
        Tensor out = e.out().apply(backend, h);
        backend.free(h);
        return out;
    }

    private void addAndFree(Tensor x, Tensor y) {
        backend.add(x, y);
        backend.free(y);
    }

    /** Updates the residual streams {@code img} and {@code txt} in place. */
    private void doubleBlock(DoubleBlock block, Tensor img, Tensor txt, Tensor siluVec, Rope pe) {
        int hidden = config.hiddenSize();
        int imgTokens = img.rows();
        int txtTokens = txt.rows();
        Tensor imgMod = block.img().mod().apply(backend, siluVec);
        Tensor txtMod = block.txt().mod().apply(backend, siluVec);
        Modulation imgMod1 = Modulation.chunk(backend, imgMod, 0, hidden);
        Modulation imgMod2 = Modulation.chunk(backend, imgMod, 1, hidden);
        Modulation txtMod1 = Modulation.chunk(backend, txtMod, 0, hidden);
        Modulation txtMod2 = Modulation.chunk(backend, txtMod, 1, hidden);
        backend.free(imgMod, txtMod);

        Qkv imgQkv = qkv(block.img().qkv(), block.img().queryNorm(), block.img().keyNorm(),
                modulatedNorm(img, imgMod1));
        Qkv txtQkv = qkv(block.txt().qkv(), block.txt().queryNorm(), block.txt().keyNorm(),
                modulatedNorm(txt, txtMod1));
        Qkv joint = join(txtQkv, imgQkv);
        Tensor attn = attention(joint, pe);
        Tensor txtAttn = backend.rows(attn, 0, txtTokens);
        Tensor imgAttn = backend.rows(attn, txtTokens, imgTokens);
        backend.free(attn);

        streamUpdate(block.img(), img, imgAttn, imgMod1, imgMod2);
        streamUpdate(block.txt(), txt, txtAttn, txtMod1, txtMod2);
        backend.free(txtAttn, imgAttn);
        for (Modulation m : List.of(imgMod1, imgMod2, txtMod1, txtMod2)) m.free(backend);
    }

    /** {@code x += gate1 * proj(attn)}; {@code x += gate2 * mlp((1 + scale2) LN(x) + shift2)}. */
    private void streamUpdate(StreamWeights w, Tensor x, Tensor attn, Modulation mod1, Modulation mod2) {
        Tensor proj = w.proj().apply(backend, attn);
        backend.addGated(x, mod1.gate(), proj);
        backend.free(proj);
        Tensor norm = modulatedNorm(x, mod2);
        Tensor h = w.mlpIn().apply(backend, norm);
        backend.free(norm);
        backend.gelu(h);
        Tensor mlp = w.mlpOut().apply(backend, h);
        backend.free(h);
        backend.addGated(x, mod2.gate(), mlp);
        backend.free(mlp);
    }

    /** {@code x += gate * linear2([attn | gelu(mlp)])} with {@code [qkv | mlp] = linear1((1 + scale) LN(x) + shift)}. */
    private void singleBlock(SingleBlock block, Tensor x, Tensor siluVec, Rope pe) {
        int hidden = config.hiddenSize();
        int mlpHidden = config.mlpHidden();
        Tensor modVec = block.mod().apply(backend, siluVec);
        Modulation mod = Modulation.chunk(backend, modVec, 0, hidden);
        backend.free(modVec);
        Tensor norm = modulatedNorm(x, mod);
        Tensor h = block.linear1().apply(backend, norm);
        backend.free(norm);
        Tensor qkv = backend.columns(h, 0, 3 * hidden);
        Tensor mlp = backend.columns(h, 3 * hidden, mlpHidden);
        backend.free(h);
        Tensor attn = attention(splitQkv(qkv, block.queryNorm(), block.keyNorm()), pe);
        backend.gelu(mlp);
        Tensor joined = backend.concatColumns(attn, mlp);
        backend.free(attn, mlp);
        Tensor out = block.linear2().apply(backend, joined);
        backend.free(joined);
        backend.addGated(x, mod.gate(), out);
        backend.free(out);
        mod.free(backend);
    }

    /** {@code linear((1 + scale) LN(x) + shift)} with {@code [shift | scale] = adaLN_modulation(vec)}: a new tensor. */
    private Tensor finalLayer(Tensor img, Tensor siluVec) {
        int hidden = config.hiddenSize();
        Tensor mod = finalModulation.apply(backend, siluVec);
        Tensor shift = backend.columns(mod, 0, hidden);
        Tensor scale = backend.columns(mod, hidden, hidden);
        backend.free(mod);
        Tensor h = backend.layerNorm(img, LN_EPS, null, null);
        backend.modulate(h, shift, scale);
        backend.free(shift, scale);
        Tensor out = finalLinear.apply(backend, h);
        backend.free(h);
        return out;
    }

    /** {@code (1 + scale) LN(x) + shift}: a new tensor. */
    private Tensor modulatedNorm(Tensor x, Modulation mod) {
        Tensor h = backend.layerNorm(x, LN_EPS, null, null);
        backend.modulate(h, mod.shift(), mod.scale());
        return h;
    }

    /** {@code qkvLinear(x)}, split; {@code x} is freed. */
    private Qkv qkv(Linear qkvLinear, Tensor queryNorm, Tensor keyNorm, Tensor x) {
        Tensor qkv = qkvLinear.apply(backend, x);
        backend.free(x);
        return splitQkv(qkv, queryNorm, keyNorm);
    }

    /**
     * Splits [tokens x 3 hidden] into q | k | v (each head-major) and applies the per-head QK RMSNorm; {@code qkv}
     * is freed.
     */
    private Qkv splitQkv(Tensor qkv, Tensor queryNorm, Tensor keyNorm) {
        int hidden = config.hiddenSize();
        Tensor q = backend.columns(qkv, 0, hidden);
        Tensor k = backend.columns(qkv, hidden, hidden);
        Tensor v = backend.columns(qkv, 2 * hidden, hidden);
        backend.free(qkv);
        backend.rmsNorm(q, config.headDim(), queryNorm);
        backend.rmsNorm(k, config.headDim(), keyNorm);
        return new Qkv(q, k, v);
    }

    /** Text rows then image rows of each of q, k, v; the parts are freed. */
    private Qkv join(Qkv txt, Qkv img) {
        Qkv joint = new Qkv(backend.concatRows(txt.q, img.q), backend.concatRows(txt.k, img.k),
                backend.concatRows(txt.v, img.v));
        backend.free(txt.q, txt.k, txt.v, img.q, img.k, img.v);
        return joint;
    }

    /** RoPE on q and k, then attention over the whole joint sequence: [tokens x hidden]; q, k, v are freed. */
    private Tensor attention(Qkv qkv, Rope pe) {
        backend.rope(qkv.q(), config.numHeads(), pe.cos(), pe.sin());
        backend.rope(qkv.k(), config.numHeads(), pe.cos(), pe.sin());
        Tensor out = backend.attention(qkv.q(), qkv.k(), qkv.v(), config.numHeads());
        backend.free(qkv.q(), qkv.k(), qkv.v());
        return out;
    }

    private void check(FluxInputs in) {
        if (in.img().length != in.imgTokens() * config.inChannels()) {
            throw new IllegalArgumentException("img must be [" + in.imgTokens() + " x " + config.inChannels()
                    + "], got " + in.img().length + " values");
        }
        if (in.txt().length != in.txtTokens() * config.contextInDim()) {
            throw new IllegalArgumentException("txt must be [" + in.txtTokens() + " x " + config.contextInDim()
                    + "], got " + in.txt().length + " values");
        }
        if (guidanceIn != null && Float.isNaN(in.guidance())) {
            throw new IllegalArgumentException("this model has guidance_in (a guidance-distilled Flux): a guidance value"
                    + " is required");
        }
        if (in.y().length != config.vecInDim()) {
            throw new IllegalArgumentException("y must have " + config.vecInDim() + " values, got " + in.y().length);
        }
    }
}
