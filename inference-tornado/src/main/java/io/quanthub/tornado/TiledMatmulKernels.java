package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * The matmul as tiles in local memory, for every stored type: a work-group of {@link #TILE} x
 * {@link #TILE} work-items computes {@code TILE} tokens x {@code TILE} features of the output. The input dimension is
 * walked {@link #K_TILE} (one quantization block) at a time: the group first loads that slice of its tokens'
 * activations and dequantizes that slice of its features' weight rows into local memory, two values per work-item,
 * then every work-item sums its 32 products from there. Each weight value is thus dequantized once per group instead
 * of once per token, and global memory is read in rows. Tokens and features past the end (shapes that are not
 * multiples of the tile) load zeros and store nothing.
 */
final class TiledMatmulKernels {
    static final int TILE = 16;
    static final int K_TILE = 32;

    private TiledMatmulKernels() {
    }

    /** The grid for {@code tokens x outDim} outputs: both rounded up to whole tiles, one work-group per tile. */
    static WorkerGrid grid(int tokens, int outDim) {
        WorkerGrid2D grid = new WorkerGrid2D(roundUp(tokens), roundUp(outDim));
        grid.setLocalWork(TILE, TILE, 1);
        return grid;
    }

    private static int roundUp(int n) {
        return (n + TILE - 1) / TILE * TILE;
    }

    static void f32(KernelContext ctx, FloatArray x, FloatArray w, FloatArray bias, FloatArray out, int tokens, int in,
                    int outDim, int hasBias) {
        int row = ctx.localIdx;
        int col = ctx.localIdy;
        int t0 = ctx.groupIdx * TILE;
        int o0 = ctx.groupIdy * TILE;
        float[] xs = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float[] ws = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float sum = 0f;
        int tiles = (in + K_TILE - 1) / K_TILE;
        for (int kt = 0; kt < tiles; kt++) {
            // Work-item (row, col) loads values 2 col and 2 col + 1 of token row and of feature row.
            for (int r = 0; r < 2; r++) {
                int k = 2 * col + r;
                int i = kt * K_TILE + k;
                float xv = 0f;
                float wv = 0f;
                if (i < in && t0 + row < tokens) xv = x.get((t0 + row) * in + i);
                if (i < in && o0 + row < outDim) wv = w.get((o0 + row) * in + i);
                xs[row * K_TILE + k] = xv;
                ws[row * K_TILE + k] = wv;
            }
            ctx.localBarrier();
            for (int k = 0; k < K_TILE; k++) sum += xs[row * K_TILE + k] * ws[col * K_TILE + k];
            ctx.localBarrier();
        }
        store(out, bias, hasBias, t0 + row, o0 + col, tokens, outDim, sum);
    }

    /** F16 or BF16 weights, their 16-bit patterns looked up in the {@link HalfTables} table passed. */
    static void sixteenBit(KernelContext ctx, FloatArray x, ShortArray w, FloatArray table, FloatArray bias,
                           FloatArray out, int tokens, int in, int outDim, int hasBias) {
        int row = ctx.localIdx;
        int col = ctx.localIdy;
        int t0 = ctx.groupIdx * TILE;
        int o0 = ctx.groupIdy * TILE;
        float[] xs = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float[] ws = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float sum = 0f;
        int tiles = (in + K_TILE - 1) / K_TILE;
        for (int kt = 0; kt < tiles; kt++) {
            for (int r = 0; r < 2; r++) {
                int k = 2 * col + r;
                int i = kt * K_TILE + k;
                float xv = 0f;
                float wv = 0f;
                if (i < in && t0 + row < tokens) xv = x.get((t0 + row) * in + i);
                if (i < in && o0 + row < outDim) wv = table.get(w.get((o0 + row) * in + i) & 0xFFFF);
                xs[row * K_TILE + k] = xv;
                ws[row * K_TILE + k] = wv;
            }
            ctx.localBarrier();
            for (int k = 0; k < K_TILE; k++) sum += xs[row * K_TILE + k] * ws[col * K_TILE + k];
            ctx.localBarrier();
        }
        store(out, bias, hasBias, t0 + row, o0 + col, tokens, outDim, sum);
    }

    /** The 32-value block types, with the layout table of {@link LegacyBlocks#layout}. */
    static void legacy(KernelContext ctx, FloatArray x, ByteArray w, IntArray layout, FloatArray fp16,
                       FloatArray codebook, FloatArray bias, FloatArray out, int tokens, int in, int outDim,
                       int hasBias) {
        int row = ctx.localIdx;
        int col = ctx.localIdy;
        int t0 = ctx.groupIdx * TILE;
        int o0 = ctx.groupIdy * TILE;
        float[] xs = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float[] ws = ctx.allocateFloatLocalArray(TILE * K_TILE);
        int blockBytes = layout.get(LegacyBlocks.BYTES);
        int blocks = in / K_TILE;
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            for (int r = 0; r < 2; r++) {
                int k = 2 * col + r;
                float xv = 0f;
                float wv = 0f;
                if (t0 + row < tokens) xv = x.get((t0 + row) * in + b * K_TILE + k);
                if (o0 + row < outDim) {
                    wv = LegacyBlocks.value(w, ((o0 + row) * blocks + b) * blockBytes, k, layout, fp16, codebook);
                }
                xs[row * K_TILE + k] = xv;
                ws[row * K_TILE + k] = wv;
            }
            ctx.localBarrier();
            for (int k = 0; k < K_TILE; k++) sum += xs[row * K_TILE + k] * ws[col * K_TILE + k];
            ctx.localBarrier();
        }
        store(out, bias, hasBias, t0 + row, o0 + col, tokens, outDim, sum);
    }

    // The 256-value super-block types, one kernel each (TornadoVM will not inline all six decoders into one: they
    // exceed its 600-node limit). Each K tile is 32 consecutive values of one block; the kernels differ only in the
    // decoder of KQuantBlocks they call.

    static final int TILES_PER_BLOCK = KQuantBlocks.QK_K / K_TILE;

    /** The first value of K tile kt within its block. */
    static int e0(int kt) {
        return (kt % TILES_PER_BLOCK) * K_TILE;
    }

    /** The result of output (t, o) if it exists: tiles reach past the ends of odd shapes. */
    static void store(FloatArray out, FloatArray bias, int hasBias, int t, int o, int tokens, int outDim, float sum) {
        if (t < tokens && o < outDim) {
            float b = 0f;
            if (hasBias == 1) b = bias.get(o);
            out.set(t * outDim + o, sum + b);
        }
    }

    static void q2k(KernelContext ctx, FloatArray x, ByteArray w, FloatArray fp16, FloatArray codebook,
               FloatArray bias, FloatArray out, int tokens, int in, int outDim, int hasBias) {
        int row = ctx.localIdx;
        int col = ctx.localIdy;
        int t0 = ctx.groupIdx * TILE;
        int o0 = ctx.groupIdy * TILE;
        float[] xs = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float[] ws = ctx.allocateFloatLocalArray(TILE * K_TILE);
        int blocks = in / KQuantBlocks.QK_K;
        float sum = 0f;
        for (int kt = 0; kt < in / K_TILE; kt++) {
            int bo = ((o0 + row) * blocks + kt / TILES_PER_BLOCK) * KQuantBlocks.Q2K_BYTES;
            for (int r = 0; r < 2; r++) {
                int k = 2 * col + r;
                float xv = 0f;
                float wv = 0f;
                if (t0 + row < tokens) xv = x.get((t0 + row) * in + kt * K_TILE + k);
                if (o0 + row < outDim) wv = KQuantBlocks.q2k(w, bo, e0(kt) + k, fp16);
                xs[row * K_TILE + k] = xv;
                ws[row * K_TILE + k] = wv;
            }
            ctx.localBarrier();
            for (int k = 0; k < K_TILE; k++) sum += xs[row * K_TILE + k] * ws[col * K_TILE + k];
            ctx.localBarrier();
        }
        store(out, bias, hasBias, t0 + row, o0 + col, tokens, outDim, sum);
    }

    static void q3k(KernelContext ctx, FloatArray x, ByteArray w, FloatArray fp16, FloatArray codebook,
               FloatArray bias, FloatArray out, int tokens, int in, int outDim, int hasBias) {
        int row = ctx.localIdx;
        int col = ctx.localIdy;
        int t0 = ctx.groupIdx * TILE;
        int o0 = ctx.groupIdy * TILE;
        float[] xs = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float[] ws = ctx.allocateFloatLocalArray(TILE * K_TILE);
        int blocks = in / KQuantBlocks.QK_K;
        float sum = 0f;
        for (int kt = 0; kt < in / K_TILE; kt++) {
            int bo = ((o0 + row) * blocks + kt / TILES_PER_BLOCK) * KQuantBlocks.Q3K_BYTES;
            for (int r = 0; r < 2; r++) {
                int k = 2 * col + r;
                float xv = 0f;
                float wv = 0f;
                if (t0 + row < tokens) xv = x.get((t0 + row) * in + kt * K_TILE + k);
                if (o0 + row < outDim) wv = KQuantBlocks.q3k(w, bo, e0(kt) + k, fp16);
                xs[row * K_TILE + k] = xv;
                ws[row * K_TILE + k] = wv;
            }
            ctx.localBarrier();
            for (int k = 0; k < K_TILE; k++) sum += xs[row * K_TILE + k] * ws[col * K_TILE + k];
            ctx.localBarrier();
        }
        store(out, bias, hasBias, t0 + row, o0 + col, tokens, outDim, sum);
    }

    static void q4k(KernelContext ctx, FloatArray x, ByteArray w, FloatArray fp16, FloatArray codebook,
               FloatArray bias, FloatArray out, int tokens, int in, int outDim, int hasBias) {
        int row = ctx.localIdx;
        int col = ctx.localIdy;
        int t0 = ctx.groupIdx * TILE;
        int o0 = ctx.groupIdy * TILE;
        float[] xs = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float[] ws = ctx.allocateFloatLocalArray(TILE * K_TILE);
        int blocks = in / KQuantBlocks.QK_K;
        float sum = 0f;
        for (int kt = 0; kt < in / K_TILE; kt++) {
            int bo = ((o0 + row) * blocks + kt / TILES_PER_BLOCK) * KQuantBlocks.Q4K_BYTES;
            for (int r = 0; r < 2; r++) {
                int k = 2 * col + r;
                float xv = 0f;
                float wv = 0f;
                if (t0 + row < tokens) xv = x.get((t0 + row) * in + kt * K_TILE + k);
                if (o0 + row < outDim) wv = KQuantBlocks.q4k(w, bo, e0(kt) + k, fp16);
                xs[row * K_TILE + k] = xv;
                ws[row * K_TILE + k] = wv;
            }
            ctx.localBarrier();
            for (int k = 0; k < K_TILE; k++) sum += xs[row * K_TILE + k] * ws[col * K_TILE + k];
            ctx.localBarrier();
        }
        store(out, bias, hasBias, t0 + row, o0 + col, tokens, outDim, sum);
    }

    static void q5k(KernelContext ctx, FloatArray x, ByteArray w, FloatArray fp16, FloatArray codebook,
               FloatArray bias, FloatArray out, int tokens, int in, int outDim, int hasBias) {
        int row = ctx.localIdx;
        int col = ctx.localIdy;
        int t0 = ctx.groupIdx * TILE;
        int o0 = ctx.groupIdy * TILE;
        float[] xs = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float[] ws = ctx.allocateFloatLocalArray(TILE * K_TILE);
        int blocks = in / KQuantBlocks.QK_K;
        float sum = 0f;
        for (int kt = 0; kt < in / K_TILE; kt++) {
            int bo = ((o0 + row) * blocks + kt / TILES_PER_BLOCK) * KQuantBlocks.Q5K_BYTES;
            for (int r = 0; r < 2; r++) {
                int k = 2 * col + r;
                float xv = 0f;
                float wv = 0f;
                if (t0 + row < tokens) xv = x.get((t0 + row) * in + kt * K_TILE + k);
                if (o0 + row < outDim) wv = KQuantBlocks.q5k(w, bo, e0(kt) + k, fp16);
                xs[row * K_TILE + k] = xv;
                ws[row * K_TILE + k] = wv;
            }
            ctx.localBarrier();
            for (int k = 0; k < K_TILE; k++) sum += xs[row * K_TILE + k] * ws[col * K_TILE + k];
            ctx.localBarrier();
        }
        store(out, bias, hasBias, t0 + row, o0 + col, tokens, outDim, sum);
    }

    static void q6k(KernelContext ctx, FloatArray x, ByteArray w, FloatArray fp16, FloatArray codebook,
               FloatArray bias, FloatArray out, int tokens, int in, int outDim, int hasBias) {
        int row = ctx.localIdx;
        int col = ctx.localIdy;
        int t0 = ctx.groupIdx * TILE;
        int o0 = ctx.groupIdy * TILE;
        float[] xs = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float[] ws = ctx.allocateFloatLocalArray(TILE * K_TILE);
        int blocks = in / KQuantBlocks.QK_K;
        float sum = 0f;
        for (int kt = 0; kt < in / K_TILE; kt++) {
            int bo = ((o0 + row) * blocks + kt / TILES_PER_BLOCK) * KQuantBlocks.Q6K_BYTES;
            for (int r = 0; r < 2; r++) {
                int k = 2 * col + r;
                float xv = 0f;
                float wv = 0f;
                if (t0 + row < tokens) xv = x.get((t0 + row) * in + kt * K_TILE + k);
                if (o0 + row < outDim) wv = KQuantBlocks.q6k(w, bo, e0(kt) + k, fp16);
                xs[row * K_TILE + k] = xv;
                ws[row * K_TILE + k] = wv;
            }
            ctx.localBarrier();
            for (int k = 0; k < K_TILE; k++) sum += xs[row * K_TILE + k] * ws[col * K_TILE + k];
            ctx.localBarrier();
        }
        store(out, bias, hasBias, t0 + row, o0 + col, tokens, outDim, sum);
    }

    static void iq4xs(KernelContext ctx, FloatArray x, ByteArray w, FloatArray fp16, FloatArray codebook,
                 FloatArray bias, FloatArray out, int tokens, int in, int outDim, int hasBias) {
        int row = ctx.localIdx;
        int col = ctx.localIdy;
        int t0 = ctx.groupIdx * TILE;
        int o0 = ctx.groupIdy * TILE;
        float[] xs = ctx.allocateFloatLocalArray(TILE * K_TILE);
        float[] ws = ctx.allocateFloatLocalArray(TILE * K_TILE);
        int blocks = in / KQuantBlocks.QK_K;
        float sum = 0f;
        for (int kt = 0; kt < in / K_TILE; kt++) {
            int bo = ((o0 + row) * blocks + kt / TILES_PER_BLOCK) * KQuantBlocks.IQ4XS_BYTES;
            for (int r = 0; r < 2; r++) {
                int k = 2 * col + r;
                float xv = 0f;
                float wv = 0f;
                if (t0 + row < tokens) xv = x.get((t0 + row) * in + kt * K_TILE + k);
                if (o0 + row < outDim) wv = KQuantBlocks.iq4xs(w, bo, e0(kt) + k, fp16, codebook);
                xs[row * K_TILE + k] = xv;
                ws[row * K_TILE + k] = wv;
            }
            ctx.localBarrier();
            for (int k = 0; k < K_TILE; k++) sum += xs[row * K_TILE + k] * ws[col * K_TILE + k];
            ctx.localBarrier();
        }
        store(out, bias, hasBias, t0 + row, o0 + col, tokens, outDim, sum);
    }
}
