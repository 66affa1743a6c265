package io.quanthub.bench;

import io.quanthub.gguf.synthetic.FluxShape;

/**
 * The floating-point operations of one Flux forward (an FMA counts two), for reporting a rate against the machine's
 * {@link FmaPeak}: the matmuls of every block (per token and block 12 hidden² multiply-adds for both kinds: a double
 * block's qkv, proj and 4x MLP on its own stream, a single block's linear1 and linear2), attention (QKᵀ and PV over
 * all tokens), and the input and output projections. Modulation, norms and RoPE are linear in the tokens and left
 * out (under 1%).
 */
final class FluxFlops {
    private FluxFlops() {
    }

    static double forward(FluxShape shape, int imgTokens, int txtTokens) {
        double h = shape.hiddenSize();
        double tokens = imgTokens + txtTokens;
        int blocks = shape.doubleBlocks() + shape.singleBlocks();
        double macs = blocks * (tokens * 12 * h * h + 2 * tokens * tokens * h)
                + imgTokens * (double) FluxShape.IN_CHANNELS * h * 2 // img_in and the final layer's projection
                + txtTokens * (double) shape.contextWidth() * h;     // txt_in
        return 2 * macs;
    }
}
