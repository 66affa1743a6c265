package io.quanthub.gguf.synthetic;

import io.quanthub.gguf.safetensors.Dtype;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tensors of a Flux.1 transformer (black-forest-labs reference layout and key names) at a chosen width and depth:
 * embedders, double-stream blocks with fused QKV, single-stream blocks, the final layer. Everything else is Flux's:
 * head size 128, MLP ratio 4, 64 input channels (16 latent channels packed 2x2), 256-wide timestep and guidance
 * embeddings. {@link #FLUX1_DEV} is the real model; {@link #forDataBytes} scales it to a size.
 *
 * @param hiddenSize   width of the transformer (Flux: 3072); a multiple of the head size
 * @param doubleBlocks double-stream blocks (Flux: 19)
 * @param singleBlocks single-stream blocks (Flux: 38)
 * @param contextWidth width of the text encoder's token embeddings, the input of {@code txt_in} (Flux: T5-XXL, 4096)
 * @param vectorWidth  width of the pooled text embedding, the input of {@code vector_in} (Flux: CLIP-L, 768)
 */
public record FluxShape(int hiddenSize, int doubleBlocks, int singleBlocks, int contextWidth, int vectorWidth) {
    public static final int HEAD_SIZE = 128;
    public static final int MLP_RATIO = 4;
    public static final int IN_CHANNELS = 64;
    public static final int TIMESTEP_WIDTH = 256;
    /** FLUX.1-dev (and schnell, less guidance_in): 11.9 billion parameters. */
    public static final FluxShape FLUX1_DEV = new FluxShape(3072, 19, 38, 4096, 768);
    /**
     * Widths tried by {@link #forDataBytes}: multiples of 256, so every row that is as long as a multiple of the
     * width can use the K-quants (super-blocks of 256), as in Flux.
     */
    private static final int WIDTH_STEP = 256;
    /** How far above the target {@link #forDataBytes} may go while keeping a wider shape. */
    private static final double SIZE_TOLERANCE = 0.10;

    public FluxShape {
        if (hiddenSize <= 0 || hiddenSize % HEAD_SIZE != 0) {
            throw new IllegalArgumentException("hidden size must be a positive multiple of " + HEAD_SIZE + ", not "
                    + hiddenSize);
        }
        if (doubleBlocks < 1 || singleBlocks < 0) {
            throw new IllegalArgumentException("a Flux model needs at least one double block (detection looks for "
                    + "double_blocks.0), not " + doubleBlocks + " double and " + singleBlocks + " single blocks");
        }
        if (contextWidth <= 0 || vectorWidth <= 0) {
            throw new IllegalArgumentException("context and vector widths must be positive");
        }
    }

    /**
     * The Flux shape whose {@code dtype} tensor data is at least {@code targetBytes} and as close to real Flux as the
     * size allows. The widest width (Flux's 3072, then down in steps of 256) that reaches the target with at most
     * 10% to spare wins; its depth is the smallest that reaches the target, keeping Flux's two single blocks per
     * double block ({@code s} single blocks and {@code ceil(s / 2)} double blocks). When no width lands within 10%
     * (targets below the smallest shape, about 10 MB in BF16, or just above it), the shape that overshoots least is
     * taken. The encoder widths are Flux's (4096 and 768).
     *
     * <p>For example, 1 GiB in BF16 gives Flux's full width with one double and one single block (1.09 GB), so every
     * tensor has exactly a shape of FLUX.1-dev.
     */
    public static FluxShape forDataBytes(long targetBytes, Dtype dtype) {
        if (targetBytes <= 0) throw new IllegalArgumentException("target size must be positive, not " + targetBytes);
        FluxShape leastOver = null;
        for (int width = FLUX1_DEV.hiddenSize; width >= WIDTH_STEP; width -= WIDTH_STEP) {
            FluxShape shape = shallowestReaching(width, targetBytes, dtype);
            long bytes = shape.dataBytes(dtype);
            if (bytes <= targetBytes * (1 + SIZE_TOLERANCE)) return shape;
            if (leastOver == null || bytes < leastOver.dataBytes(dtype)) leastOver = shape;
        }
        return leastOver;
    }

    /** At this width, the fewest blocks (s single, ceil(s/2) double, s >= 1) whose data reaches the target. */
    private static FluxShape shallowestReaching(int width, long targetBytes, Dtype dtype) {
        FluxShape one = new FluxShape(width, 1, 1, FLUX1_DEV.contextWidth, FLUX1_DEV.vectorWidth);
        long fixed = one.embedderAndFinalParameters();
        long perDouble = one.doubleBlockParameters();
        long perSingle = one.singleBlockParameters();
        long targetParameters = Math.ceilDiv(targetBytes, dtype.bytes);
        int singles = 1;
        while (fixed + (long) Math.ceilDiv(singles, 2) * perDouble + (long) singles * perSingle < targetParameters) {
            singles++;
        }
        return new FluxShape(width, Math.ceilDiv(singles, 2), singles, one.contextWidth, one.vectorWidth);
    }

    /** Every tensor, in the order of the reference implementation's {@code state_dict()} (module order). */
    public List<SyntheticTensor> tensors(Dtype dtype) {
        List<SyntheticTensor> s = new ArrayList<>(embedders(dtype));
        for (int i = 0; i < doubleBlocks; i++) s.addAll(doubleBlock(i, dtype));
        for (int i = 0; i < singleBlocks; i++) s.addAll(singleBlock(i, dtype));
        s.addAll(finalLayer(dtype));
        return s;
    }

    public long parameterCount() {
        return embedderAndFinalParameters() + doubleBlocks * doubleBlockParameters()
                + singleBlocks * singleBlockParameters();
    }

    /** Bytes of tensor data in {@code dtype} (a safetensors file adds a JSON header of a few KB). */
    public long dataBytes(Dtype dtype) {
        return parameterCount() * dtype.bytes;
    }

    /** For people: "Flux hidden 3072, 1 double + 1 single blocks (0.55 B parameters)". */
    public String description() {
        long p = parameterCount();
        return String.format(Locale.ROOT, "Flux hidden %d, %d double + %d single blocks (%s parameters)", hiddenSize,
                doubleBlocks, singleBlocks, p >= 1e9 ? String.format(Locale.ROOT, "%.2f B", p / 1e9)
                        : String.format(Locale.ROOT, "%.1f M", p / 1e6));
    }

    private List<SyntheticTensor> embedders(Dtype dtype) {
        int h = hiddenSize;
        List<SyntheticTensor> s = new ArrayList<>();
        linear(s, "img_in", h, IN_CHANNELS, dtype);
        linear(s, "time_in.in_layer", h, TIMESTEP_WIDTH, dtype);
        linear(s, "time_in.out_layer", h, h, dtype);
        linear(s, "vector_in.in_layer", h, vectorWidth, dtype);
        linear(s, "vector_in.out_layer", h, h, dtype);
        linear(s, "guidance_in.in_layer", h, TIMESTEP_WIDTH, dtype);
        linear(s, "guidance_in.out_layer", h, h, dtype);
        linear(s, "txt_in", h, contextWidth, dtype);
        return s;
    }

    /** Image and text streams, each with modulation, fused QKV, QK norms, projection and MLP. */
    private List<SyntheticTensor> doubleBlock(int i, Dtype dtype) {
        int h = hiddenSize;
        List<SyntheticTensor> s = new ArrayList<>();
        for (String stream : List.of("img", "txt")) {
            String p = "double_blocks." + i + "." + stream;
            linear(s, p + "_mod.lin", 6L * h, h, dtype);
            linear(s, p + "_attn.qkv", 3L * h, h, dtype);
            s.add(new SyntheticTensor(p + "_attn.norm.query_norm.scale", dtype, HEAD_SIZE));
            s.add(new SyntheticTensor(p + "_attn.norm.key_norm.scale", dtype, HEAD_SIZE));
            linear(s, p + "_attn.proj", h, h, dtype);
            linear(s, p + "_mlp.0", (long) MLP_RATIO * h, h, dtype);
            linear(s, p + "_mlp.2", h, (long) MLP_RATIO * h, dtype);
        }
        return s;
    }

    /** linear1 makes QKV and the MLP input in one matmul; linear2 takes attention output and MLP hidden together. */
    private List<SyntheticTensor> singleBlock(int i, Dtype dtype) {
        int h = hiddenSize;
        long mlp = (long) MLP_RATIO * h;
        String p = "single_blocks." + i;
        List<SyntheticTensor> s = new ArrayList<>();
        linear(s, p + ".linear1", 3L * h + mlp, h, dtype);
        linear(s, p + ".linear2", h, h + mlp, dtype);
        s.add(new SyntheticTensor(p + ".norm.query_norm.scale", dtype, HEAD_SIZE));
        s.add(new SyntheticTensor(p + ".norm.key_norm.scale", dtype, HEAD_SIZE));
        linear(s, p + ".modulation.lin", 3L * h, h, dtype);
        return s;
    }

    private List<SyntheticTensor> finalLayer(Dtype dtype) {
        List<SyntheticTensor> s = new ArrayList<>();
        linear(s, "final_layer.linear", IN_CHANNELS, hiddenSize, dtype);
        linear(s, "final_layer.adaLN_modulation.1", 2L * hiddenSize, hiddenSize, dtype);
        return s;
    }

    /** A Linear layer: weight [out, in] and bias [out]. */
    private static void linear(List<SyntheticTensor> s, String prefix, long out, long in, Dtype dtype) {
        s.add(new SyntheticTensor(prefix + ".weight", dtype, out, in));
        s.add(new SyntheticTensor(prefix + ".bias", dtype, out));
    }

    private long embedderAndFinalParameters() {
        return elements(embedders(Dtype.BF16)) + elements(finalLayer(Dtype.BF16));
    }

    private long doubleBlockParameters() {
        return elements(doubleBlock(0, Dtype.BF16));
    }

    private long singleBlockParameters() {
        return elements(singleBlock(0, Dtype.BF16));
    }

    private static long elements(List<SyntheticTensor> specs) {
        return specs.stream().mapToLong(SyntheticTensor::elementCount).sum();
    }
}
