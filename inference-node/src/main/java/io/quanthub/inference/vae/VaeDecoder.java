package io.quanthub.inference.vae;

import io.quanthub.inference.compute.BackendWeight;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.Tensor;
import io.quanthub.inference.model.ModelWeights;

import java.util.ArrayList;
import java.util.List;

/**
 * The decoder half of BFL's {@code AutoEncoder} ({@code modules/autoencoder.py}): latent [z x h x w] to RGB
 * [3 x (h * scale) x (w * scale)], nominally in [-1, 1]. Shape from {@link VaeConfig}; weights are loaded into the
 * backend in whatever type they are stored, and every operation runs there: the latent goes up, the image comes down.
 *
 * <pre>
 * conv_in -> mid.block_1 -> mid.attn_1 -> mid.block_2
 *   -> for L = levels-1 .. 0: up.L.block.0..n (then up.L.upsample unless L = 0)
 *   -> norm_out -> swish -> conv_out
 * </pre>
 */
public final class VaeDecoder {
    record Conv(BackendWeight weight, Tensor bias) {
        static Conv of(ComputeBackend b, ModelWeights w, String name) {
            return new Conv(b.load(w.weight(name + ".weight")), b.upload(w.vector(name + ".bias")));
        }

        /** A new tensor [out x height * width]. */
        Tensor apply(ComputeBackend backend, Tensor x, int height, int width) {
            return backend.conv2d(x, height, width, weight, bias);
        }
    }

    /** GroupNorm(32, eps 1e-6) with its affine weight and bias. */
    record Norm(Tensor weight, Tensor bias) {
        static Norm of(ComputeBackend b, ModelWeights w, String name) {
            return new Norm(b.upload(w.vector(name + ".weight")), b.upload(w.vector(name + ".bias")));
        }

        /** A normalized copy of {@code x} [channels x pixels]. */
        Tensor apply(ComputeBackend backend, Tensor x) {
            Tensor h = backend.copy(x);
            backend.groupNorm(h, VaeConfig.GROUPS, weight, bias);
            return h;
        }
    }

    /** {@code x + conv2(swish(norm2(conv1(swish(norm1(x))))))}, x through a 1x1 {@code nin_shortcut} if widths differ. */
    record ResnetBlock(Norm norm1, Conv conv1, Norm norm2, Conv conv2, Conv shortcut) {
        static ResnetBlock of(ComputeBackend b, ModelWeights w, String name) {
            return new ResnetBlock(Norm.of(b, w, name + ".norm1"), Conv.of(b, w, name + ".conv1"),
                    Norm.of(b, w, name + ".norm2"), Conv.of(b, w, name + ".conv2"),
                    w.has(name + ".nin_shortcut.weight") ? Conv.of(b, w, name + ".nin_shortcut") : null);
        }

        /** A new tensor; {@code x} stays the caller's. */
        Tensor apply(ComputeBackend backend, Tensor x, int height, int width) {
            Tensor n1 = norm1.apply(backend, x);
            backend.silu(n1);
            Tensor c1 = conv1.apply(backend, n1, height, width);
            backend.free(n1);
            Tensor n2 = norm2.apply(backend, c1);
            backend.free(c1);
            backend.silu(n2);
            Tensor h = conv2.apply(backend, n2, height, width);
            backend.free(n2);
            if (shortcut == null) {
                backend.add(h, x);
            } else {
                Tensor skip = shortcut.apply(backend, x, height, width);
                backend.add(h, skip);
                backend.free(skip);
            }
            return h;
        }
    }

    /** Single-head self-attention over all positions: {@code x + proj_out(attention(q, k, v of norm(x)))}. */
    record AttnBlock(Norm norm, Conv q, Conv k, Conv v, Conv projOut) {
        static AttnBlock of(ComputeBackend b, ModelWeights w, String name) {
            return new AttnBlock(Norm.of(b, w, name + ".norm"), Conv.of(b, w, name + ".q"), Conv.of(b, w, name + ".k"),
                    Conv.of(b, w, name + ".v"), Conv.of(b, w, name + ".proj_out"));
        }

        /** A new tensor; {@code x} stays the caller's. */
        Tensor apply(ComputeBackend backend, Tensor x, int height, int width) {
            Tensor h = norm.apply(backend, x);
            // b c h w -> b 1 (h w) c: one token per position, one head as wide as the channels.
            Tensor qt = tokens(backend, q.apply(backend, h, height, width));
            Tensor kt = tokens(backend, k.apply(backend, h, height, width));
            Tensor vt = tokens(backend, v.apply(backend, h, height, width));
            backend.free(h);
            Tensor attended = backend.attention(qt, kt, vt, 1);
            backend.free(qt, kt, vt);
            Tensor planar = backend.transpose(attended);
            backend.free(attended);
            Tensor out = projOut.apply(backend, planar, height, width);
            backend.free(planar);
            backend.add(out, x);
            return out;
        }

        /** Planar [channels x pixels] as token rows [pixels x channels]; {@code planar} is freed. */
        private static Tensor tokens(ComputeBackend backend, Tensor planar) {
            Tensor t = backend.transpose(planar);
            backend.free(planar);
            return t;
        }
    }

    /** One resolution level of the up path: its blocks, then (except level 0) nearest x2 and a 3x3 conv. */
    record UpLevel(List<ResnetBlock> blocks, Conv upsample) {
    }

    private final VaeConfig config;
    private final ComputeBackend backend;
    private final Conv convIn;
    private final ResnetBlock midBlock1;
    private final AttnBlock midAttn;
    private final ResnetBlock midBlock2;
    /** Indexed by level, as named in the file; run from the last to the first. */
    private final List<UpLevel> up;
    private final Norm normOut;
    private final Conv convOut;

    /** Loads the decoder weights of {@code weights} (which must stay open while the decoder is used). */
    public VaeDecoder(ModelWeights weights, ComputeBackend backend) {
        this.config = VaeConfig.of(weights);
        this.backend = backend;
        String p = config.prefix();
        this.convIn = Conv.of(backend, weights, p + "conv_in");
        this.midBlock1 = ResnetBlock.of(backend, weights, p + "mid.block_1");
        this.midAttn = AttnBlock.of(backend, weights, p + "mid.attn_1");
        this.midBlock2 = ResnetBlock.of(backend, weights, p + "mid.block_2");
        List<UpLevel> levels = new ArrayList<>();
        for (int level = 0; level < config.levels(); level++) {
            List<ResnetBlock> blocks = new ArrayList<>();
            for (int b = 0; b <= config.numResBlocks(); b++) {
                blocks.add(ResnetBlock.of(backend, weights, p + "up." + level + ".block." + b));
            }
            Conv upsample = level == 0 ? null : Conv.of(backend, weights, p + "up." + level + ".upsample.conv");
            levels.add(new UpLevel(List.copyOf(blocks), upsample));
        }
        this.up = List.copyOf(levels);
        this.normOut = Norm.of(backend, weights, p + "norm_out");
        this.convOut = Conv.of(backend, weights, p + "conv_out");
    }

    public VaeConfig config() {
        return config;
    }

    /**
     * Decodes a latent as the sampler leaves it (before BFL's {@code z / scale + shift}, which this applies on the
     * host as the latent goes up).
     *
     * @param latent [zChannels x height x width]
     * @return RGB [3 x height * pixelScale x width * pixelScale], unclamped
     */
    public float[] decode(float[] latent, int height, int width) {
        if (latent.length != (long) config.zChannels() * height * width) {
            throw new IllegalArgumentException("latent of " + latent.length + " values is not " + config.zChannels()
                    + "x" + height + "x" + width);
        }
        float[] z = new float[latent.length];
        for (int i = 0; i < z.length; i++) z[i] = latent[i] / config.scaleFactor() + config.shiftFactor();
        Tensor zt = backend.upload(z, config.zChannels(), height * width);

        Tensor h = next(convIn.apply(backend, zt, height, width), zt);
        h = next(midBlock1.apply(backend, h, height, width), h);
        h = next(midAttn.apply(backend, h, height, width), h);
        h = next(midBlock2.apply(backend, h, height, width), h);
        for (int level = up.size() - 1; level >= 0; level--) {
            UpLevel l = up.get(level);
            for (ResnetBlock block : l.blocks()) h = next(block.apply(backend, h, height, width), h);
            if (l.upsample() != null) {
                h = next(backend.upsampleNearest2x(h, height, width), h);
                height *= 2;
                width *= 2;
                h = next(l.upsample().apply(backend, h, height, width), h);
            }
        }
        h = next(normOut.apply(backend, h), h);
        backend.silu(h);
        Tensor rgb = next(convOut.apply(backend, h, height, width), h);
        try {
            return backend.download(rgb);
        } finally {
            backend.free(rgb);
        }
    }

    /** {@code result}, after freeing {@code used}: one step of the decoder's chain. */
    private Tensor next(Tensor result, Tensor used) {
        backend.free(used);
        return result;
    }
}
