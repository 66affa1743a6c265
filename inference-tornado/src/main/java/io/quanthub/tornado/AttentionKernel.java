package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Multi-head attention (optionally causal, optionally with a relative-position bias per head), with an online softmax: one work-item per
 * (query, head) walks the keys in order keeping the running maximum and sum, and rescales its output row (in
 * {@code out} itself) whenever the maximum grows, so no score matrix exists anywhere, not even one row of it.
 * q, k, v and out are [tokens x heads * headDim], head-major within a token.
 */
final class AttentionKernel {
    /** Below every score: exp of it minus a real score is 0. Not -Infinity, which some OpenCL compilers fold badly. */
    static final float LOWEST = -3.0e38f;

    private AttentionKernel() {
    }

    /**
     * @param relative    with {@code hasRelative == 1}: T5's [heads x (2 tokens - 1)] bias added to each scaled score
     *                    ({@code relative[h * (2 tokens - 1) + s - t + tokens - 1]} for key s of query t)
     * @param causal      1: query t sees keys 0..t only (CLIP); the keys after it are not visited at all
     */
    static void attention(FloatArray q, FloatArray k, FloatArray v, FloatArray relative, FloatArray out, int tokens,
                          int heads, int headDim, float scale, int causal, int hasRelative) {
        for (@Parallel int t = 0; t < tokens; t++) {
            for (@Parallel int h = 0; h < heads; h++) {
                int width = heads * headDim;
                int qo = t * width + h * headDim;
                for (int d = 0; d < headDim; d++) out.set(qo + d, 0f);
                float max = LOWEST;
                float sum = 0f;
                int keys = tokens;
                if (causal == 1) keys = t + 1;
                int span = 2 * tokens - 1;
                for (int s = 0; s < keys; s++) {
                    int ko = s * width + h * headDim;
                    float score = 0f;
                    for (int d = 0; d < headDim; d++) score += q.get(qo + d) * k.get(ko + d);
                    score = score * scale;
                    if (hasRelative == 1) score += relative.get(h * span + s - t + tokens - 1);
                    float newMax = TornadoMath.max(max, score);
                    float correction = TornadoMath.exp(max - newMax);
                    float p = TornadoMath.exp(score - newMax);
                    sum = sum * correction + p;
                    for (int d = 0; d < headDim; d++) out.set(qo + d, out.get(qo + d) * correction + p * v.get(ko + d));
                    max = newMax;
                }
                float inv = 1f / sum;
                for (int d = 0; d < headDim; d++) out.set(qo + d, out.get(qo + d) * inv);
            }
        }
    }
}
