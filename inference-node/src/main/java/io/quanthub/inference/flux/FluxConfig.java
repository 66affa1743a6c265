package io.quanthub.inference.flux;

import io.quanthub.inference.model.ModelWeights;

import java.util.Arrays;

/**
 * Flux hyper-parameters, read off the tensor names and shapes like stable-diffusion.cpp's
 * {@code FluxConfig::detect_from_weights}: depths from the highest block index, widths from the embedders, the head
 * size from the QK-norm scale, {@code guidance_in.*} present or not.
 *
 * @param axesDim RoPE dims per position axis (index, row, column); sums to the head size
 */
public record FluxConfig(int inChannels, int outChannels, int vecInDim, int contextInDim, int hiddenSize,
                         int numHeads, int headDim, int mlpHidden, int depth, int depthSingleBlocks,
                         boolean guidanceEmbed, int[] axesDim, double theta) {
    /** Width of the sinusoidal timestep and guidance embeddings. */
    public static final int TIME_EMBED_DIM = 256;

    public FluxConfig {
        axesDim = axesDim.clone();
        if (Arrays.stream(axesDim).sum() != headDim) {
            throw new IllegalArgumentException("RoPE axes " + Arrays.toString(axesDim) + " do not sum to the head size "
                    + headDim);
        }
    }

    @Override
    public int[] axesDim() {
        return axesDim.clone();
    }

    /** Infers the configuration of the Flux transformer in {@code weights}. */
    public static FluxConfig of(ModelWeights weights) {
        if (!weights.has("double_blocks.0.img_attn.qkv.weight") || !weights.has("img_in.weight")) {
            throw new IllegalArgumentException(weights.path().getFileName()
                    + " is not a Flux transformer: it has no double_blocks.0.img_attn.qkv.weight or img_in.weight");
        }
        long[] txtIn = weights.weight("txt_in.weight").shape();
        long[] imgIn = weights.weight("img_in.weight").shape();
        int hidden = (int) txtIn[0];
        int headDim = (int) weights.weight("double_blocks.0.img_attn.norm.key_norm.scale").shape()[0];
        if (headDim % 16 != 0 || hidden % headDim != 0) {
            throw new IllegalArgumentException("head size " + headDim + " (from key_norm.scale) must be a multiple of 16"
                    + " dividing the hidden size " + hidden);
        }
        // Flux's axes keep the proportions of [16, 56, 56] for 128: h/8 for the index axis, 7h/16 for row and column.
        int[] axes = {headDim / 8, headDim * 7 / 16, headDim * 7 / 16};
        return new FluxConfig(
                (int) imgIn[1],
                (int) weights.weight("final_layer.linear.weight").shape()[0],
                (int) weights.weight("vector_in.in_layer.weight").shape()[1],
                (int) txtIn[1],
                hidden,
                hidden / headDim,
                headDim,
                (int) weights.weight("double_blocks.0.img_mlp.0.weight").shape()[0],
                countBlocks(weights, "double_blocks."),
                countBlocks(weights, "single_blocks."),
                weights.has("guidance_in.in_layer.weight"),
                axes,
                10_000);
    }

    /** One more than the highest block index under this prefix. */
    private static int countBlocks(ModelWeights weights, String prefix) {
        int count = 0;
        for (String name : weights.tensors().keySet()) {
            if (!name.startsWith(prefix)) continue;
            int end = name.indexOf('.', prefix.length());
            count = Math.max(count, Integer.parseInt(name.substring(prefix.length(), end)) + 1);
        }
        return count;
    }
}
