package io.quanthub.inference.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Multi-head attention blocked for the cache, flash-attention style: one task per (head, block of
 * {@link #QUERY_BLOCK} queries), walking the keys in blocks of {@link #KEY_BLOCK} with an online softmax (the running
 * maximum and sum are rescaled as each key block arrives), so the score matrix never exists beyond one
 * {@code QUERY_BLOCK x KEY_BLOCK} tile. Both products are small matrix multiplies with sums held in registers:
 * <ul>
 *   <li>scores {@code S = Q K^T}: keys are first transposed per head ({@code kt[h][d][key]}), so a vector holds one
 *       score for each of several keys and the sum runs over the head dimension; 4 queries x 2 vectors of keys per
 *       micro-kernel;</li>
 *   <li>{@code O += P V}: values are first copied per head ({@code vh[h][key][d]}), a vector holds several output
 *       dimensions and the sum runs over the keys; 2 queries x 4 vectors per micro-kernel.</li>
 * </ul>
 * Every score and every output value is one chain of fused multiply-adds in a fixed order (head dimension, resp. keys
 * in order), never a reduction across vector lanes, and exp is {@link VectorMath#exp}: the result does not depend on
 * the thread count, the JIT tier or the vector width.
 */
final class CpuAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int QUERY_BLOCK = 64;
    static final int KEY_BLOCK = 64;

    static {
        if (KEY_BLOCK % (2 * F.length()) != 0) throw new IllegalStateException("vectors of " + F.length() + " floats");
    }

    /** Per-thread tiles, grown on demand and kept: worker threads are reused. */
    private static final class Scratch {
        float[] queries = new float[0];
        float[] out = new float[0];
        final float[] scores = new float[QUERY_BLOCK * KEY_BLOCK];
        final float[] max = new float[QUERY_BLOCK];
        final float[] sum = new float[QUERY_BLOCK];

        void size(int headDim) {
            if (queries.length < QUERY_BLOCK * headDim) {
                queries = new float[QUERY_BLOCK * headDim];
                out = new float[QUERY_BLOCK * headDim];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private CpuAttention() {
    }

    /** See {@link ComputeBackend#attention}; arguments are checked by the caller. */
    static void attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim, float[] out,
                          ArrayPool pool) {
        attention(q, k, v, tokens, heads, headDim, AttentionBias.NONE.withScale((float) (1.0 / Math.sqrt(headDim))),
                out, pool);
    }

    /** See {@link ComputeBackend#attention(float[], float[], float[], int, int, int, AttentionBias, float[])}. */
    static void attention(float[] q, float[] k, float[] v, int tokens, int heads, int headDim, AttentionBias bias,
                          float[] out, ArrayPool pool) {
        int width = heads * headDim;
        int keys = ceilDiv(tokens, KEY_BLOCK) * KEY_BLOCK;
        float[] kt = pool.take(heads * headDim * keys);
        float[] vh = pool.take(heads * tokens * headDim);
        IntStream.range(0, heads).parallel().forEach(h -> {
            for (int t = 0; t < tokens; t++) {
                int src = t * width + h * headDim;
                for (int d = 0; d < headDim; d++) kt[(h * headDim + d) * keys + t] = k[src + d];
                System.arraycopy(v, src, vh, (h * tokens + t) * headDim, headDim);
            }
            // Padding keys score zero; their probabilities are computed along but never used.
            for (int d = 0; d < headDim; d++) {
                Arrays.fill(kt, (h * headDim + d) * keys + tokens, (h * headDim + d + 1) * keys, 0f);
            }
        });
        float scale = bias.scale();
        int queryBlocks = ceilDiv(tokens, QUERY_BLOCK);
        IntStream.range(0, heads * queryBlocks).parallel().forEach(task -> {
            int h = task / queryBlocks;
            int q0 = task % queryBlocks * QUERY_BLOCK;
            block(q, kt, vh, out, tokens, keys, width, headDim, h, q0, Math.min(QUERY_BLOCK, tokens - q0), scale,
                    bias);
        });
        pool.give(kt, vh);
    }

    /** Queries {@code [q0, q0 + nq)} of head {@code h} over every key. */
    private static void block(float[] q, float[] kt, float[] vh, float[] out, int tokens, int keys, int width,
                              int headDim, int h, int q0, int nq, float scale, AttentionBias bias) {
        Scratch s = SCRATCH.get();
        s.size(headDim);
        float[] qb = s.queries;
        float[] ob = s.out;
        float[] scores = s.scores;
        float[] max = s.max;
        float[] sum = s.sum;
        // Rows past nq stay zero: they are computed along (uniform kernels) and never written out.
        Arrays.fill(qb, 0, QUERY_BLOCK * headDim, 0f);
        for (int i = 0; i < nq; i++) System.arraycopy(q, (q0 + i) * width + h * headDim, qb, i * headDim, headDim);
        Arrays.fill(ob, 0, QUERY_BLOCK * headDim, 0f);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        Arrays.fill(sum, 0f);
        int ktBase = h * headDim * keys;
        int vhBase = h * tokens * headDim;
        for (int k0 = 0; k0 < tokens; k0 += KEY_BLOCK) {
            int nk = Math.min(KEY_BLOCK, tokens - k0);
            for (int i = 0; i < QUERY_BLOCK; i += 4) {
                for (int j = 0; j < KEY_BLOCK; j += 2 * F.length()) {
                    scores4x2(qb, i * headDim, headDim, kt, ktBase + k0 + j, keys, scores, i * KEY_BLOCK + j, scale);
                }
            }
            if (bias.causal() || bias.relative() != null) biasScores(scores, bias, tokens, h, q0, nq, k0, nk);
            for (int i = 0; i < QUERY_BLOCK; i++) softmaxStep(scores, i, nk, max, sum, ob, headDim);
            for (int i = 0; i < QUERY_BLOCK; i += 2) {
                accumulate2(scores, i, nk, vh, vhBase + k0 * headDim, headDim, ob);
            }
        }
        for (int i = 0; i < nq; i++) {
            float inv = 1f / sum[i];
            int o = (q0 + i) * width + h * headDim;
            for (int d = 0; d < headDim; d++) out[o + d] = ob[i * headDim + d] * inv;
        }
    }

    /**
     * {@code scores[sOff + i*KEY_BLOCK + j] = scale * sum_d qb[qOff + i*headDim + d] * kt[kOff + d*keys + j]} for 4
     * queries i and 2 vectors of keys j, the sum over d in order.
     */
    private static void scores4x2(float[] qb, int qOff, int headDim, float[] kt, int kOff, int keys, float[] scores,
                                  int sOff, float scale) {
        int lanes = F.length();
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        for (int d = 0; d < headDim; d++) {
            int kd = kOff + d * keys;
            FloatVector b0 = FloatVector.fromArray(F, kt, kd);
            FloatVector b1 = FloatVector.fromArray(F, kt, kd + lanes);
            FloatVector a = FloatVector.broadcast(F, qb[qOff + d]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, qb[qOff + headDim + d]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, qb[qOff + 2 * headDim + d]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, qb[qOff + 3 * headDim + d]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
        }
        int o = sOff;
        c00.mul(scale).intoArray(scores, o);
        c01.mul(scale).intoArray(scores, o + lanes);
        o += KEY_BLOCK;
        c10.mul(scale).intoArray(scores, o);
        c11.mul(scale).intoArray(scores, o + lanes);
        o += KEY_BLOCK;
        c20.mul(scale).intoArray(scores, o);
        c21.mul(scale).intoArray(scores, o + lanes);
        o += KEY_BLOCK;
        c30.mul(scale).intoArray(scores, o);
        c31.mul(scale).intoArray(scores, o + lanes);
    }

    /**
     * Adds the relative-position bias to the scores of the queries {@code q0 .. q0 + nq} and keys {@code k0 .. k0 + nk}
     * and masks keys after the query when causal (-inf: exp gives 0; key 0 is never masked, so every row's first
     * block has a finite maximum).
     */
    private static void biasScores(float[] scores, AttentionBias bias, int tokens, int h, int q0, int nq, int k0,
                                   int nk) {
        float[] relative = bias.relative();
        int base = h * (2 * tokens - 1) + tokens - 1;
        for (int i = 0; i < nq; i++) {
            int query = q0 + i;
            int row = i * KEY_BLOCK;
            for (int j = 0; j < nk; j++) {
                int key = k0 + j;
                if (bias.causal() && key > query) {
                    scores[row + j] = Float.NEGATIVE_INFINITY;
                } else if (relative != null) {
                    scores[row + j] += relative[base + key - query];
                }
            }
        }
    }

    /**
     * Online softmax for query row i over the block's first {@code nk} scores: the new running maximum, the scores
     * turned into {@code exp(score - max)} in place, and the sum and output so far rescaled to the new maximum. The
     * block's probabilities are added to the sum, in key order.
     */
    private static void softmaxStep(float[] scores, int i, int nk, float[] max, float[] sum, float[] ob, int headDim) {
        int row = i * KEY_BLOCK;
        float blockMax = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < nk; j++) blockMax = Math.max(blockMax, scores[row + j]); // exact in any order
        float newMax = Math.max(max[i], blockMax);
        float correction = VectorMath.exp(max[i] - newMax);
        max[i] = newMax;
        FloatVector m = FloatVector.broadcast(F, newMax);
        for (int j = 0; j < KEY_BLOCK; j += F.length()) {
            VectorMath.exp(FloatVector.fromArray(F, scores, row + j).sub(m)).intoArray(scores, row + j);
        }
        float total = sum[i] * correction;
        for (int j = 0; j < nk; j++) total += scores[row + j];
        sum[i] = total;
        if (correction != 1f) {
            int o = i * headDim;
            int d = 0;
            for (int upper = F.loopBound(headDim); d < upper; d += F.length()) {
                FloatVector.fromArray(F, ob, o + d).mul(correction).intoArray(ob, o + d);
            }
            for (; d < headDim; d++) ob[o + d] *= correction;
        }
    }

    /**
     * {@code ob[i][d] += sum_j p[i][j] * vh[vOff + j*headDim + d]} for query rows i and i+1, over the block's first
     * {@code nk} keys in order: 4 vectors of d at a time, then single vectors, then single values.
     */
    private static void accumulate2(float[] p, int i, int nk, float[] vh, int vOff, int headDim, float[] ob) {
        int lanes = F.length();
        int p0 = i * KEY_BLOCK;
        int p1 = p0 + KEY_BLOCK;
        int o0 = i * headDim;
        int o1 = o0 + headDim;
        int d = 0;
        for (; d + 4 * lanes <= headDim; d += 4 * lanes) {
            FloatVector a0 = FloatVector.fromArray(F, ob, o0 + d);
            FloatVector a1 = FloatVector.fromArray(F, ob, o0 + d + lanes);
            FloatVector a2 = FloatVector.fromArray(F, ob, o0 + d + 2 * lanes);
            FloatVector a3 = FloatVector.fromArray(F, ob, o0 + d + 3 * lanes);
            FloatVector b0 = FloatVector.fromArray(F, ob, o1 + d);
            FloatVector b1 = FloatVector.fromArray(F, ob, o1 + d + lanes);
            FloatVector b2 = FloatVector.fromArray(F, ob, o1 + d + 2 * lanes);
            FloatVector b3 = FloatVector.fromArray(F, ob, o1 + d + 3 * lanes);
            for (int j = 0; j < nk; j++) {
                int vj = vOff + j * headDim + d;
                FloatVector v0 = FloatVector.fromArray(F, vh, vj);
                FloatVector v1 = FloatVector.fromArray(F, vh, vj + lanes);
                FloatVector v2 = FloatVector.fromArray(F, vh, vj + 2 * lanes);
                FloatVector v3 = FloatVector.fromArray(F, vh, vj + 3 * lanes);
                FloatVector w = FloatVector.broadcast(F, p[p0 + j]);
                a0 = w.fma(v0, a0);
                a1 = w.fma(v1, a1);
                a2 = w.fma(v2, a2);
                a3 = w.fma(v3, a3);
                w = FloatVector.broadcast(F, p[p1 + j]);
                b0 = w.fma(v0, b0);
                b1 = w.fma(v1, b1);
                b2 = w.fma(v2, b2);
                b3 = w.fma(v3, b3);
            }
            a0.intoArray(ob, o0 + d);
            a1.intoArray(ob, o0 + d + lanes);
            a2.intoArray(ob, o0 + d + 2 * lanes);
            a3.intoArray(ob, o0 + d + 3 * lanes);
            b0.intoArray(ob, o1 + d);
            b1.intoArray(ob, o1 + d + lanes);
            b2.intoArray(ob, o1 + d + 2 * lanes);
            b3.intoArray(ob, o1 + d + 3 * lanes);
        }
        for (; d + lanes <= headDim; d += lanes) {
            FloatVector a = FloatVector.fromArray(F, ob, o0 + d);
            FloatVector b = FloatVector.fromArray(F, ob, o1 + d);
            for (int j = 0; j < nk; j++) {
                FloatVector vj = FloatVector.fromArray(F, vh, vOff + j * headDim + d);
                a = FloatVector.broadcast(F, p[p0 + j]).fma(vj, a);
                b = FloatVector.broadcast(F, p[p1 + j]).fma(vj, b);
            }
            a.intoArray(ob, o0 + d);
            b.intoArray(ob, o1 + d);
        }
        for (; d < headDim; d++) {
            float a = ob[o0 + d];
            float b = ob[o1 + d];
            for (int j = 0; j < nk; j++) {
                float vj = vh[vOff + j * headDim + d];
                a = Math.fma(p[p0 + j], vj, a);
                b = Math.fma(p[p1 + j], vj, b);
            }
            ob[o0 + d] = a;
            ob[o1 + d] = b;
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
