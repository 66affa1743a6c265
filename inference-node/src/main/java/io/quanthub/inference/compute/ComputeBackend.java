package io.quanthub.inference.compute;

/**
 * The operations Flux, its VAE decoder and its text encoders are made of, on tensors that stay where the backend
 * computes.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Ownership.</b> Every {@link Tensor} is made and owned by one backend: by {@link #upload}, or as the result
 *   of an operation that returns one (always a new tensor, never one of its arguments). The caller that received it
 *   owns it until it hands it to {@link #free}; after that neither it nor the backend's other callers may use it. A
 *   backend may reuse the storage of freed tensors for later results (the CPU backend keeps their arrays in an
 *   {@link ArrayPool}, so a process that renders many images reuses the same memory in every call); a tensor never
 *   freed is left to the garbage collector on the CPU and leaks device memory on a GPU.</li>
 *   <li><b>In place.</b> Operations named as actions on {@code x} ({@code void}) overwrite {@code x} and keep its
 *   owner; their other arguments are only read.</li>
 *   <li><b>What crosses to the host.</b> Only {@link #upload} (inputs: latents, text embeddings, timestep and
 *   position tables, small per-model vectors once) and {@link #download} (the velocity or latent for the sampler and
 *   progress, the image, the text encoders' outputs) move values between host and backend. Nothing else returns
 *   or takes host arrays, except {@link AttentionBias}'s small relative-position table and the token ids of
 *   {@link #embedding}, which the backend uploads itself.</li>
 *   <li><b>Weights.</b> {@link #load} makes a {@link BackendWeight} of a stored tensor once per loaded model, in its
 *   stored type; matmul and conv2d dequantize it as they go. A weight stays valid as long as the model file it came
 *   from is open and the backend is in use.</li>
 *   <li><b>Determinism.</b> A backend computes every output value by one chain of float operations whose order
 *   does not depend on thread count, JIT tier or vector width: the same inputs give the same bits in every process.
 *   Shapes are checked; a mismatch is an {@link IllegalArgumentException} naming the operation.</li>
 *   <li><b>Threads.</b> A backend may be used by one thread at a time per model; its pools are safe for concurrent
 *   use.</li>
 * </ul>
 */
public interface ComputeBackend extends AutoCloseable {
    /** One line for the {@code backend: ...} note: the backend's name and the device, e.g. thread count and SIMD. */
    String description();

    /**
     * Bytes of memory this backend can hold model weights and activations in: the device's global memory on a GPU,
     * the machine's physical memory on the CPU. Inference nodes report it to the cluster, which sends them only jobs
     * whose model fits.
     */
    long deviceMemoryBytes();

    // Edges: the only operations that move values between host and backend.

    /** A new tensor [rows x cols] holding {@code values} (row-major, exactly {@code rows * cols} of them). */
    Tensor upload(float[] values, int rows, int cols);

    /** A vector as a tensor [1 x values.length]. */
    default Tensor upload(float[] values) {
        return upload(values, 1, values.length);
    }

    /** The values of {@code x} on the host: a new array of {@code x.size()} floats; {@code x} stays the caller's. */
    float[] download(Tensor x);

    /** Hands tensors back (nulls are skipped); their owner must not use them afterwards. */
    void free(Tensor... tensors);

    /** Drops what the backend keeps of freed tensors, e.g. when the sizes in use change. */
    default void trim() {
    }

    /**
     * Gives back everything the backend holds on its device (compiled plans, device buffers with weights); its
     * tensors and weights are invalid afterwards. Whoever holds a model's backend closes it with the model (a
     * {@code FluxPipeline}, {@code TextEncoders}), so an inference node that evicts a model frees its device memory.
     * The CPU backend holds nothing that the garbage collector does not reclaim.
     */
    @Override
    default void close() {
    }

    /** A stored weight, loaded for the kernels of this backend in its stored type. */
    BackendWeight load(Weight stored);

    /** {@code [ids.length x table.cols()]}: row {@code ids[t]} of an embedding table [vocabulary, dim] per token. */
    Tensor embedding(BackendWeight table, int[] ids);

    // Data movement on row-major tensors (no arithmetic): each returns a new tensor.

    Tensor copy(Tensor x);

    /** Columns {@code [from, from + count)} of every row: [rows x count] (Flux's modulation chunks, q/k/v splits). */
    Tensor columns(Tensor x, int from, int count);

    /** Rows {@code [from, from + count)}: [count x cols]. */
    Tensor rows(Tensor x, int from, int count);

    /** The rows of {@code a}, then those of {@code b} (same width). */
    Tensor concatRows(Tensor a, Tensor b);

    /** {@code a} and {@code b} side by side (same row count): [rows x (a.cols + b.cols)]. */
    Tensor concatColumns(Tensor a, Tensor b);

    /** [rows x cols] as [cols x rows]: between planar images [channels x pixels] and token rows. */
    Tensor transpose(Tensor x);

    // Transformer operations.

    /**
     * {@code out[t][o] = sum_i x[t][i] * w[o][i] + bias[o]}: a PyTorch {@code Linear}.
     *
     * @param x    [tokens x w.cols()]
     * @param bias [1 x w.rows()], or null for none
     * @return [tokens x w.rows()]
     */
    Tensor matmul(Tensor x, BackendWeight w, Tensor bias);

    /**
     * LayerNorm over each row with epsilon {@code eps}, then {@code * weight + bias} where they are given: a new
     * tensor. Flux's norms have no affine parameters (both null, eps 1e-6); CLIP's have both.
     */
    Tensor layerNorm(Tensor x, float eps, Tensor weight, Tensor bias);

    /** RMSNorm over consecutive runs of {@code dim} values (eps 1e-6), times {@code scale} [1 x dim]. */
    void rmsNorm(Tensor x, int dim, Tensor scale);

    /** Adaptive LayerNorm modulation, per row: {@code x = (1 + scale) * x + shift} with [1 x cols] vectors. */
    void modulate(Tensor x, Tensor shift, Tensor scale);

    /** Gated residual, per row: {@code x += gate * y} with {@code gate} [1 x cols]. */
    void addGated(Tensor x, Tensor gate, Tensor y);

    /** {@code x += y}, element by element (residuals, position embeddings). */
    void add(Tensor x, Tensor y);

    /** {@code x *= y}, element by element (T5's gated feed-forward). */
    void multiply(Tensor x, Tensor y);

    /** GELU with the tanh approximation. */
    void gelu(Tensor x);

    /** SiLU {@code x * sigmoid(x)}. */
    void silu(Tensor x);

    /** CLIP's quick GELU {@code x * sigmoid(1.702 x)}. */
    void quickGelu(Tensor x);

    /**
     * Rotates adjacent pairs {@code (x[2j], x[2j+1])} of every head by the token's angles (Flux's "interleaved"
     * RoPE): {@code x'[2j] = cos x[2j] - sin x[2j+1]}, {@code x'[2j+1] = sin x[2j] + cos x[2j+1]}.
     *
     * @param x   [tokens x heads * headDim], head-major within a token
     * @param cos [tokens x headDim / 2], uploaded from a {@link RopeTable}
     * @param sin [tokens x headDim / 2]
     */
    void rope(Tensor x, int heads, Tensor cos, Tensor sin);

    /**
     * Multi-head scaled dot-product attention, every query over every key (no mask), scale 1/sqrt(headDim).
     *
     * @param q, k, v [tokens x heads * headDim], head-major within a token
     * @return [tokens x heads * headDim]
     */
    Tensor attention(Tensor q, Tensor k, Tensor v, int heads);

    /** Attention with its scores scaled, masked or biased as {@code bias} says (CLIP's causal mask, T5's bias). */
    Tensor attention(Tensor q, Tensor k, Tensor v, int heads, AttentionBias bias);

    // Image operations (the VAE decoder). Images are planar: [channels x (height * width)].

    /**
     * A 2-D convolution with stride 1 and "same" zero padding ({@code k / 2} on every side): PyTorch's
     * {@code Conv2d(in, out, k, padding=k // 2)}.
     *
     * @param x    [in x height * width]
     * @param w    the kernel [out, in, k, k] with odd k (a [out, in] matrix counts as 1x1), in any stored type
     * @param bias [1 x out], or null for none
     * @return [out x height * width]
     */
    Tensor conv2d(Tensor x, int height, int width, BackendWeight w, Tensor bias);

    /**
     * GroupNorm in place: {@code channels / groups} consecutive channels (rows) share one mean and variance (eps
     * 1e-6), then each channel is scaled by {@code weight[c]} and shifted by {@code bias[c]} ([1 x channels]).
     */
    void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias);

    /** Nearest-neighbour upsampling by 2 in both directions: [channels x h * w] to [channels x 2h * 2w]. */
    Tensor upsampleNearest2x(Tensor x, int height, int width);
}
