package io.quanthub.inference.vae;

import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.Rows;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.model.ModelWeights;

import java.util.ArrayList;
import java.util.List;

/**
 * The decoder half of BFL's {@code AutoEncoder} ({@code modules/autoencoder.py}): latent [z x h x w] to RGB
 * [3 x (h * scale) x (w * scale)], nominally in [-1, 1]. Shape from {@link VaeConfig}; weights stay in the file, in
 * whatever type they are stored.
 *
 * <pre>
 * conv_in -> mid.block_1 -> mid.attn_1 -> mid.block_2
 *   -> for L = levels-1 .. 0: up.L.block.0..n (then up.L.upsample unless L = 0)
 *   -> norm_out -> swish -> conv_out
 * </pre>
 */
public final class VaeDecoder {
    record Conv(Weight weight, float[] bias) {
        static Conv of(ModelWeights w, String name) {
            return new Conv(w.weight(name + ".weight"), w.vector(name + ".bias"));
        }

        int outChannels() {
            return (int) weight.shape()[0];
        }

        float[] apply(ComputeBackend backend, float[] x, int height, int width) {
            return backend.conv2d(x, height, width, weight, bias);
        }
    }

    /** GroupNorm(32, eps 1e-6) with its affine weight and bias. */
    record Norm(float[] weight, float[] bias) {
        static Norm of(ModelWeights w, String name) {
            return new Norm(w.vector(name + ".weight"), w.vector(name + ".bias"));
        }

        /** A normalized copy of {@code x} [channels x pixels]. */
        float[] apply(ComputeBackend backend, float[] x, int pixels) {
            float[] h = x.clone();
            backend.groupNorm(h, weight.length, pixels, VaeConfig.GROUPS, weight, bias);
            return h;
        }
    }

    /** {@code x + conv2(swish(norm2(conv1(swish(norm1(x))))))}, x through a 1x1 {@code nin_shortcut} if widths differ. */
    record ResnetBlock(Norm norm1, Conv conv1, Norm norm2, Conv conv2, Conv shortcut) {
        static ResnetBlock of(ModelWeights w, String name) {
            return new ResnetBlock(Norm.of(w, name + ".norm1"), Conv.of(w, name + ".conv1"),
                    Norm.of(w, name + ".norm2"), Conv.of(w, name + ".conv2"),
                    w.has(name + ".nin_shortcut.weight") ? Conv.of(w, name + ".nin_shortcut") : null);
        }

        float[] apply(ComputeBackend backend, float[] x, int height, int width) {
            int pixels = height * width;
            float[] h = norm1.apply(backend, x, pixels);
            backend.silu(h, h.length);
            h = conv1.apply(backend, h, height, width);
            h = norm2.apply(backend, h, pixels);
            backend.silu(h, h.length);
            h = conv2.apply(backend, h, height, width);
            float[] skip = shortcut == null ? x : shortcut.apply(backend, x, height, width);
            for (int i = 0; i < h.length; i++) h[i] += skip[i];
            return h;
        }
    }

    /** Single-head self-attention over all positions: {@code x + proj_out(attention(q, k, v of norm(x)))}. */
    record AttnBlock(Norm norm, Conv q, Conv k, Conv v, Conv projOut) {
        static AttnBlock of(ModelWeights w, String name) {
            return new AttnBlock(Norm.of(w, name + ".norm"), Conv.of(w, name + ".q"), Conv.of(w, name + ".k"),
                    Conv.of(w, name + ".v"), Conv.of(w, name + ".proj_out"));
        }

        float[] apply(ComputeBackend backend, float[] x, int height, int width) {
            int pixels = height * width;
            int channels = x.length / pixels;
            float[] h = norm.apply(backend, x, pixels);
            // b c h w -> b 1 (h w) c: one token per position, one head as wide as the channels.
            float[] qt = Rows.transpose(q.apply(backend, h, height, width), channels, pixels);
            float[] kt = Rows.transpose(k.apply(backend, h, height, width), channels, pixels);
            float[] vt = Rows.transpose(v.apply(backend, h, height, width), channels, pixels);
            float[] attended = Rows.transpose(backend.attention(qt, kt, vt, pixels, 1, channels), pixels, channels);
            float[] out = projOut.apply(backend, attended, height, width);
            for (int i = 0; i < out.length; i++) out[i] += x[i];
            return out;
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

    /** Binds the decoder weights of {@code weights} (which must stay open while the decoder is used). */
    public VaeDecoder(ModelWeights weights, ComputeBackend backend) {
        this.config = VaeConfig.of(weights);
        this.backend = backend;
        String p = config.prefix();
        this.convIn = Conv.of(weights, p + "conv_in");
        this.midBlock1 = ResnetBlock.of(weights, p + "mid.block_1");
        this.midAttn = AttnBlock.of(weights, p + "mid.attn_1");
        this.midBlock2 = ResnetBlock.of(weights, p + "mid.block_2");
        List<UpLevel> levels = new ArrayList<>();
        for (int level = 0; level < config.levels(); level++) {
            List<ResnetBlock> blocks = new ArrayList<>();
            for (int b = 0; b <= config.numResBlocks(); b++) {
                blocks.add(ResnetBlock.of(weights, p + "up." + level + ".block." + b));
            }
            Conv upsample = level == 0 ? null : Conv.of(weights, p + "up." + level + ".upsample.conv");
            levels.add(new UpLevel(List.copyOf(blocks), upsample));
        }
        this.up = List.copyOf(levels);
        this.normOut = Norm.of(weights, p + "norm_out");
        this.convOut = Conv.of(weights, p + "conv_out");
    }

    public VaeConfig config() {
        return config;
    }

    /**
     * Decodes a latent as the sampler leaves it (before BFL's {@code z / scale + shift}, which this applies).
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

        float[] h = convIn.apply(backend, z, height, width);
        h = midBlock1.apply(backend, h, height, width);
        h = midAttn.apply(backend, h, height, width);
        h = midBlock2.apply(backend, h, height, width);
        for (int level = up.size() - 1; level >= 0; level--) {
            UpLevel l = up.get(level);
            for (ResnetBlock block : l.blocks()) h = block.apply(backend, h, height, width);
            if (l.upsample() != null) {
                int channels = h.length / (height * width);
                h = backend.upsampleNearest2x(h, channels, height, width);
                height *= 2;
                width *= 2;
                h = l.upsample().apply(backend, h, height, width);
            }
        }
        h = normOut.apply(backend, h, height * width);
        backend.silu(h, h.length);
        return convOut.apply(backend, h, height, width);
    }
}
