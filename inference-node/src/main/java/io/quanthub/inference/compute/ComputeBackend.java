package io.quanthub.inference.compute;

/**
 * The operations a diffusion transformer is made of. Activations are row-major float arrays of {@code tokens} rows;
 * weights stay in their stored type ({@link Weight}) and are dequantized by the backend as it goes.
 *
 * <p>Operations named as actions on {@code x} work in place; the others return new arrays, or write into an
 * {@code out} array their caller reuses from call to call (a Flux forward makes gigabytes of activations).
 */
public interface ComputeBackend {
    /**
     * {@code out[t][o] = sum_i x[t][i] * w[o][i] + bias[o]}: a PyTorch {@code Linear}.
     *
     * @param x    [tokens x w.cols()]
     * @param bias [w.rows()], or null for none
     * @return [tokens x w.rows()]
     */
    float[] matmul(float[] x, int tokens, Weight w, float[] bias);

    /**
     * {@link #matmul(float[], int, Weight, float[])} into {@code out} [tokens x w.rows()], whose old contents do not
     * matter: for callers that reuse their arrays.
     */
    default float[] matmul(float[] x, int tokens, Weight w, float[] bias, float[] out) {
        float[] r = matmul(x, tokens, w, bias);
        System.arraycopy(r, 0, out, 0, r.length);
        return out;
    }

    /** LayerNorm without affine parameters over rows of {@code dim}, eps 1e-6 (Flux's norm1/norm2/pre_norm). */
    float[] layerNorm(float[] x, int tokens, int dim);

    /** {@link #layerNorm(float[], int, int)} into {@code out} [tokens x dim], whose old contents do not matter. */
    default float[] layerNorm(float[] x, int tokens, int dim, float[] out) {
        float[] r = layerNorm(x, tokens, dim);
        System.arraycopy(r, 0, out, 0, r.length);
        return out;
    }

    /** RMSNorm over rows of {@code dim} values, times a learned {@code scale} [dim], eps 1e-6 (Flux's QK-norm). */
    void rmsNorm(float[] x, int rows, int dim, float[] scale);

    /** Adaptive LayerNorm modulation, per row of {@code shift.length}: {@code x = (1 + scale) * x + shift}. */
    void modulate(float[] x, int tokens, float[] shift, float[] scale);

    /** Gated residual, per row of {@code gate.length}: {@code x += gate * y}. */
    void addGated(float[] x, int tokens, float[] gate, float[] y);

    /** GELU with the tanh approximation, on {@code x[0 .. n)}. */
    void gelu(float[] x, int n);

    /** SiLU {@code x * sigmoid(x)}, on {@code x[0 .. n)}. */
    void silu(float[] x, int n);

    /**
     * Rotates adjacent pairs {@code (x[2j], x[2j+1])} of every head by the token's angles (Flux's "interleaved"
     * RoPE): {@code x'[2j] = cos x[2j] - sin x[2j+1]}, {@code x'[2j+1] = sin x[2j] + cos x[2j+1]}.
     *
     * @param x [tokens x heads * headDim], head-major within a token
     */
    void rope(float[] x, int tokens, int heads, int headDim, RopeTable table);

    /**
     * Multi-head scaled dot-product attention, every query over every key (no mask), scale 1/sqrt(headDim).
     *
     * @param q, k, v [tokens x heads * headDim], head-major within a token
     * @return [tokens x heads * headDim]
     */
    float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim);

    /** {@link #attention(float[], float[], float[], int, int, int)} into {@code out}, whose old contents do not matter. */
    default float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim, float[] out) {
        float[] r = attention(q, k, v, tokens, heads, headDim);
        System.arraycopy(r, 0, out, 0, r.length);
        return out;
    }

    /**
     * Attention with its scores scaled, masked or biased as {@code bias} says (CLIP's causal text tower, T5's
     * relative-position bias), into {@code out} [tokens x heads * headDim], whose old contents do not matter.
     */
    float[] attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim, AttentionBias bias,
                      float[] out);

    /** LayerNorm over rows of {@code dim} with epsilon {@code eps}, then {@code * weight + bias}: a new array. */
    float[] layerNorm(float[] x, int tokens, int dim, float eps, float[] weight, float[] bias);

    /** CLIP's quick GELU {@code x * sigmoid(1.702 x)}, on {@code x[0 .. n)}. */
    void quickGelu(float[] x, int n);

    // Image operations (the VAE decoder). Images are planar: [channels x height x width].

    /**
     * A 2-D convolution with stride 1 and "same" zero padding ({@code k / 2} on every side): PyTorch's
     * {@code Conv2d(in, out, k, padding=k // 2)}.
     *
     * @param x    [in x height x width]
     * @param w    the kernel [out, in, k, k] with odd k (a [out, in] matrix counts as 1x1), in any stored type
     * @param bias [out], or null for none
     * @return [out x height x width]
     */
    float[] conv2d(float[] x, int height, int width, Weight w, float[] bias);

    /**
     * GroupNorm in place: {@code channels / groups} consecutive channels share one mean and variance (eps 1e-6), then
     * each channel is scaled by {@code weight[c]} and shifted by {@code bias[c]}.
     *
     * @param x [channels x spatial]
     */
    void groupNorm(float[] x, int channels, int spatial, int groups, float[] weight, float[] bias);

    /** Nearest-neighbour upsampling by 2 in both directions: [channels x h x w] to [channels x 2h x 2w]. */
    float[] upsampleNearest2x(float[] x, int channels, int height, int width);
}
