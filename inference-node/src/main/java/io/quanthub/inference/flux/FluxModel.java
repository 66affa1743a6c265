package io.quanthub.inference.flux;

import io.quanthub.inference.compute.ArrayPool;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.RopeTable;
import io.quanthub.inference.compute.Rows;
import io.quanthub.inference.model.Linear;
import io.quanthub.inference.model.ModelWeights;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * The Flux.1 transformer (black-forest-labs/flux {@code model.py} and {@code modules/layers.py}), batch size 1.
 * Weights stay in the model file; the backend dequantizes them as it multiplies.
 */
public final class FluxModel {
    /** {@code MLPEmbedder}: Linear, SiLU, Linear. */
    record MlpEmbedder(Linear in, Linear out) {
        static MlpEmbedder of(ModelWeights w, String name) {
            return new MlpEmbedder(Linear.of(w, name + ".in_layer"), Linear.of(w, name + ".out_layer"));
        }
    }

    /** One stream (img or txt) of a double block. */
    record StreamWeights(Linear mod, Linear qkv, float[] queryNorm, float[] keyNorm, Linear proj, Linear mlpIn,
                         Linear mlpOut) {
        static StreamWeights of(ModelWeights w, String prefix) {
            return new StreamWeights(Linear.of(w, prefix + "_mod.lin"), Linear.of(w, prefix + "_attn.qkv"),
                    w.vector(prefix + "_attn.norm.query_norm.scale"), w.vector(prefix + "_attn.norm.key_norm.scale"),
                    Linear.of(w, prefix + "_attn.proj"), Linear.of(w, prefix + "_mlp.0"),
                    Linear.of(w, prefix + "_mlp.2"));
        }
    }

    record DoubleBlock(StreamWeights img, StreamWeights txt) {
    }

    record SingleBlock(Linear mod, Linear linear1, Linear linear2, float[] queryNorm, float[] keyNorm) {
        static SingleBlock of(ModelWeights w, String prefix) {
            return new SingleBlock(Linear.of(w, prefix + ".modulation.lin"), Linear.of(w, prefix + ".linear1"),
                    Linear.of(w, prefix + ".linear2"), w.vector(prefix + ".norm.query_norm.scale"),
                    w.vector(prefix + ".norm.key_norm.scale"));
        }
    }

    /** shift, scale, gate: one third of a {@code Modulation} output. */
    record Modulation(float[] shift, float[] scale, float[] gate) {
        /** The {@code index}-th (shift, scale, gate) triple of a modulation vector of 3 or 6 chunks of {@code dim}. */
        static Modulation chunk(float[] mod, int index, int dim) {
            int base = index * 3 * dim;
            return new Modulation(Arrays.copyOfRange(mod, base, base + dim),
                    Arrays.copyOfRange(mod, base + dim, base + 2 * dim),
                    Arrays.copyOfRange(mod, base + 2 * dim, base + 3 * dim));
        }
    }

    /** Query, key and value [tokens x hidden] after QK-norm. */
    private record Qkv(float[] q, float[] k, float[] v) {
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
    /** Activation arrays reused from call to call (see {@link ArrayPool}); at most 16 GiB kept. */
    private final ArrayPool arrays = new ArrayPool(16L << 30);
    /** The token count of the last call: the pool is emptied when it changes. */
    private final AtomicInteger lastTokens = new AtomicInteger();

    /** Binds the weights of {@code weights} (which must stay open while the model is used). */
    public FluxModel(ModelWeights weights, ComputeBackend backend) {
        this.config = FluxConfig.of(weights);
        this.backend = backend;
        this.imgIn = Linear.of(weights, "img_in");
        this.txtIn = Linear.of(weights, "txt_in");
        this.timeIn = MlpEmbedder.of(weights, "time_in");
        this.guidanceIn = config.guidanceEmbed() ? MlpEmbedder.of(weights, "guidance_in") : null;
        this.vectorIn = MlpEmbedder.of(weights, "vector_in");
        this.doubleBlocks = IntStream.range(0, config.depth())
                .mapToObj(i -> new DoubleBlock(StreamWeights.of(weights, "double_blocks." + i + ".img"),
                        StreamWeights.of(weights, "double_blocks." + i + ".txt")))
                .toList();
        this.singleBlocks = IntStream.range(0, config.depthSingleBlocks())
                .mapToObj(i -> SingleBlock.of(weights, "single_blocks." + i))
                .toList();
        this.finalModulation = Linear.of(weights, "final_layer.adaLN_modulation.1");
        this.finalLinear = Linear.of(weights, "final_layer.linear");
    }

    public FluxConfig config() {
        return config;
    }

    /**
     * One transformer call: the predicted velocity [imgTokens x outChannels]. Activations come from and go back to a
     * pool kept with the model, so a process that renders many images reuses the same arrays in every call.
     */
    public float[] forward(FluxInputs in) {
        check(in);
        int hidden = config.hiddenSize();
        int txtTokens = in.txtTokens();
        int imgTokens = in.imgTokens();
        int tokens = txtTokens + imgTokens;
        int previous = lastTokens.getAndSet(tokens);
        if (previous != tokens && previous != 0) arrays.clear(); // other sizes now: let the old arrays go

        float[] img = imgIn.apply(backend, in.img(), imgTokens, arrays.take(imgTokens * hidden));
        float[] txt = txtIn.apply(backend, in.txt(), txtTokens, arrays.take(txtTokens * hidden));

        float[] vec = embed(timeIn, FluxEmbeddings.timestep(in.timestep(), FluxConfig.TIME_EMBED_DIM));
        if (guidanceIn != null) {
            add(vec, embed(guidanceIn, FluxEmbeddings.timestep(in.guidance(), FluxConfig.TIME_EMBED_DIM)));
        }
        add(vec, embed(vectorIn, in.y()));
        // Every modulation layer is Linear(SiLU(vec)).
        float[] siluVec = vec.clone();
        backend.silu(siluVec, hidden);

        // Text tokens come first in the joint sequence, for positions as for attention.
        RopeTable pe = FluxEmbeddings.rope(Rows.concatRows(in.txtIds(), in.imgIds()), tokens, config.axesDim(),
                config.theta());

        for (DoubleBlock block : doubleBlocks) doubleBlock(block, img, txt, siluVec, pe);
        float[] x = Rows.concatRows(txt, img, arrays.take(tokens * hidden));
        arrays.give(txt, img);
        for (SingleBlock block : singleBlocks) singleBlock(block, x, tokens, siluVec, pe);

        float[] out = Rows.rows(x, hidden, txtTokens, imgTokens, arrays.take(imgTokens * hidden));
        arrays.give(x);
        float[] result = finalLayer(out, imgTokens, siluVec);
        arrays.give(out);
        return result;
    }

    private float[] embed(MlpEmbedder e, float[] x) {
        float[] h = e.in().apply(backend, x, 1);
        backend.silu(h, h.length);
        return e.out().apply(backend, h, 1);
    }

    /** Updates the residual streams {@code img} and {@code txt} in place. */
    private void doubleBlock(DoubleBlock block, float[] img, float[] txt, float[] siluVec, RopeTable pe) {
        int hidden = config.hiddenSize();
        int imgTokens = img.length / hidden;
        int txtTokens = txt.length / hidden;
        int tokens = imgTokens + txtTokens;
        float[] imgMod = block.img().mod().apply(backend, siluVec, 1);
        float[] txtMod = block.txt().mod().apply(backend, siluVec, 1);
        Modulation imgMod1 = Modulation.chunk(imgMod, 0, hidden);
        Modulation imgMod2 = Modulation.chunk(imgMod, 1, hidden);
        Modulation txtMod1 = Modulation.chunk(txtMod, 0, hidden);
        Modulation txtMod2 = Modulation.chunk(txtMod, 1, hidden);

        Qkv imgQkv = qkv(block.img().qkv(), block.img().queryNorm(), block.img().keyNorm(),
                modulatedNorm(img, imgTokens, imgMod1), imgTokens);
        Qkv txtQkv = qkv(block.txt().qkv(), block.txt().queryNorm(), block.txt().keyNorm(),
                modulatedNorm(txt, txtTokens, txtMod1), txtTokens);
        Qkv joint = join(txtQkv, imgQkv);
        float[] attn = attention(joint, tokens, pe);
        float[] txtAttn = Rows.rows(attn, hidden, 0, txtTokens, arrays.take(txtTokens * hidden));
        float[] imgAttn = Rows.rows(attn, hidden, txtTokens, imgTokens, arrays.take(imgTokens * hidden));
        arrays.give(attn);

        streamUpdate(block.img(), img, imgTokens, imgAttn, imgMod1, imgMod2);
        streamUpdate(block.txt(), txt, txtTokens, txtAttn, txtMod1, txtMod2);
        arrays.give(txtAttn, imgAttn);
    }

    /** {@code x += gate1 * proj(attn)}; {@code x += gate2 * mlp((1 + scale2) LN(x) + shift2)}. */
    private void streamUpdate(StreamWeights w, float[] x, int tokens, float[] attn, Modulation mod1,
                              Modulation mod2) {
        int hidden = config.hiddenSize();
        float[] proj = w.proj().apply(backend, attn, tokens, arrays.take(tokens * hidden));
        backend.addGated(x, tokens, mod1.gate(), proj);
        float[] norm = modulatedNorm(x, tokens, mod2);
        float[] h = w.mlpIn().apply(backend, norm, tokens, arrays.take(tokens * w.mlpIn().outFeatures()));
        arrays.give(norm);
        backend.gelu(h, h.length);
        w.mlpOut().apply(backend, h, tokens, proj);
        arrays.give(h);
        backend.addGated(x, tokens, mod2.gate(), proj);
        arrays.give(proj);
    }

    /** {@code x += gate * linear2([attn | gelu(mlp)])} with {@code [qkv | mlp] = linear1((1 + scale) LN(x) + shift)}. */
    private void singleBlock(SingleBlock block, float[] x, int tokens, float[] siluVec, RopeTable pe) {
        int hidden = config.hiddenSize();
        int mlpHidden = config.mlpHidden();
        Modulation mod = Modulation.chunk(block.mod().apply(backend, siluVec, 1), 0, hidden);
        int width = block.linear1().outFeatures();
        float[] norm = modulatedNorm(x, tokens, mod);
        float[] h = block.linear1().apply(backend, norm, tokens, arrays.take(tokens * width));
        arrays.give(norm);
        float[] qkv = Rows.columns(h, tokens, width, 0, 3 * hidden, arrays.take(tokens * 3 * hidden));
        float[] mlp = Rows.columns(h, tokens, width, 3 * hidden, mlpHidden, arrays.take(tokens * mlpHidden));
        float[] attn = attention(splitQkv(qkv, tokens, block.queryNorm(), block.keyNorm()), tokens, pe);
        backend.gelu(mlp, mlp.length);
        // h is [tokens x (3 hidden + mlpHidden)]; [attn | mlp] is [tokens x (hidden + mlpHidden)]: a new size.
        arrays.give(h);
        float[] joined = Rows.concatColumns(attn, hidden, mlp, mlpHidden, tokens,
                arrays.take(tokens * (hidden + mlpHidden)));
        arrays.give(attn, mlp);
        float[] out = block.linear2().apply(backend, joined, tokens, arrays.take(tokens * hidden));
        arrays.give(joined);
        backend.addGated(x, tokens, mod.gate(), out);
        arrays.give(out);
    }

    /** {@code linear((1 + scale) LN(x) + shift)} with {@code [shift | scale] = adaLN_modulation(vec)}: a new array. */
    private float[] finalLayer(float[] img, int tokens, float[] siluVec) {
        int hidden = config.hiddenSize();
        float[] mod = finalModulation.apply(backend, siluVec, 1);
        float[] shift = Arrays.copyOfRange(mod, 0, hidden);
        float[] scale = Arrays.copyOfRange(mod, hidden, 2 * hidden);
        float[] h = backend.layerNorm(img, tokens, hidden, arrays.take(tokens * hidden));
        backend.modulate(h, tokens, shift, scale);
        float[] out = finalLinear.apply(backend, h, tokens);
        arrays.give(h);
        return out;
    }

    /** {@code (1 + scale) LN(x) + shift}, in an array from the pool. */
    private float[] modulatedNorm(float[] x, int tokens, Modulation mod) {
        float[] h = backend.layerNorm(x, tokens, config.hiddenSize(), arrays.take(x.length));
        backend.modulate(h, tokens, mod.shift(), mod.scale());
        return h;
    }

    /** {@code qkvLinear(x)}, split; {@code x} goes back to the pool. */
    private Qkv qkv(Linear qkvLinear, float[] queryNorm, float[] keyNorm, float[] x, int tokens) {
        float[] qkv = qkvLinear.apply(backend, x, tokens, arrays.take(tokens * qkvLinear.outFeatures()));
        arrays.give(x);
        return splitQkv(qkv, tokens, queryNorm, keyNorm);
    }

    /**
     * Splits [tokens x 3 hidden] into q | k | v (each head-major) and applies the per-head QK RMSNorm; {@code qkv}
     * goes back to the pool.
     */
    private Qkv splitQkv(float[] qkv, int tokens, float[] queryNorm, float[] keyNorm) {
        int hidden = config.hiddenSize();
        float[] q = Rows.columns(qkv, tokens, 3 * hidden, 0, hidden, arrays.take(tokens * hidden));
        float[] k = Rows.columns(qkv, tokens, 3 * hidden, hidden, hidden, arrays.take(tokens * hidden));
        float[] v = Rows.columns(qkv, tokens, 3 * hidden, 2 * hidden, hidden, arrays.take(tokens * hidden));
        arrays.give(qkv);
        backend.rmsNorm(q, tokens * config.numHeads(), config.headDim(), queryNorm);
        backend.rmsNorm(k, tokens * config.numHeads(), config.headDim(), keyNorm);
        return new Qkv(q, k, v);
    }

    /** Text rows then image rows of each of q, k, v; the parts go back to the pool. */
    private Qkv join(Qkv txt, Qkv img) {
        Qkv joint = new Qkv(Rows.concatRows(txt.q, img.q, arrays.take(txt.q.length + img.q.length)),
                Rows.concatRows(txt.k, img.k, arrays.take(txt.k.length + img.k.length)),
                Rows.concatRows(txt.v, img.v, arrays.take(txt.v.length + img.v.length)));
        arrays.give(txt.q, txt.k, txt.v, img.q, img.k, img.v);
        return joint;
    }

    /** RoPE on q and k, then attention over the whole joint sequence: [tokens x hidden]; q, k, v go back to the pool. */
    private float[] attention(Qkv qkv, int tokens, RopeTable pe) {
        backend.rope(qkv.q(), tokens, config.numHeads(), config.headDim(), pe);
        backend.rope(qkv.k(), tokens, config.numHeads(), config.headDim(), pe);
        float[] out = backend.attention(qkv.q(), qkv.k(), qkv.v(), tokens, config.numHeads(), config.headDim(),
                arrays.take(qkv.q().length));
        arrays.give(qkv.q(), qkv.k(), qkv.v());
        return out;
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
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
