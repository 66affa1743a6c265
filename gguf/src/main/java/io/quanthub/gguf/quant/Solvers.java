package io.quanthub.gguf.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static io.quanthub.gguf.quant.Numerics.nearestInt;

/**
 * ggml's shared scale solvers (ggml-quants.c {@code make_q*_quants}; spec gguf-and-quants.md §5). Each finds integer
 * levels {@code L} for {@code n} values {@code x[xOff..]} and returns the scale that dequantizes them.
 * <p>
 * They work on offsets into caller-owned arrays and never allocate, because they run once per 16 or 32 values: the
 * caller passes a {@link Workspace}. Float operations follow ggml's C source operation by operation: integers become
 * floats where they meet a float, sums accumulate in index order, and nothing is fused or reassociated. {@code L}
 * arrays hold C's {@code uint8_t} or {@code int8_t} values in Java bytes; where ggml stores an out-of-range int into a
 * {@code uint8_t} and reads it back, the code does the same through {@code & 0xFF}.
 * <p>
 * <b>SIMD without changing a bit.</b> make_qx_quants and make_qkx*_quants try many candidate scales, each with its
 * own sums over the n values. Their vector code puts one candidate in each lane and walks the values in index order,
 * so every lane performs exactly ggml's sequence of IEEE float operations for its candidate: the same products (the
 * two operands of a multiplication may swap, which is exact), each sum added value by value in index order, no fused
 * multiply-add. Vector code never sums across lanes. ggml's sequential choice between the candidates then runs in
 * scalar code on the per-candidate results. A sum is written {@code term + sum}, the operand order of ggml's compiled
 * code, so that where both are NaN the same NaN (payload) survives as in ggml.
 */
final class Solvers {
    /** ggml's GROUP_MAX_EPS: a group whose largest magnitude is below this is treated as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    /** One candidate per lane, as many lanes as the machine's widest float vector holds (16 with AVX-512). */
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    /** The most values one solver call handles (a legacy block or a K-quant sub-block). */
    private static final int MAX_N = 32;
    /** make_qx_quants tries -nmax/max and then is = -9..-1, 1..9. */
    private static final int QX_CANDIDATES = 19;
    /** The most candidates make_qkx*_quants tries (nstep + 1; make_qkx3_quants uses nstep = 36). */
    private static final int MAX_QKX_CANDIDATES = 37;
    private static final int MAX_CANDIDATES = Math.max(QX_CANDIDATES, MAX_QKX_CANDIDATES);

    /** 1.5 * 2^23: adding it leaves round-to-nearest-even(f) in the low mantissa bits (see Numerics.nearestInt). */
    private static final float ROUNDING_BIAS = 12582912.0f;

    private Solvers() {
    }

    /**
     * The solvers' working memory, owned by one quantize call: per candidate (in ggml's order, padded to whole
     * vectors) the trial inverse scale and what it gave, and make_qkx*_quants' min output.
     */
    static final class Workspace {
        private final float[] iscale = new float[roundUpToLanes(MAX_CANDIDATES)];
        /** make_qx_quants: each candidate's sums. */
        private final float[] sumlx = new float[iscale.length];
        private final float[] suml2 = new float[iscale.length];
        /** make_qkx*_quants: each candidate's determinant D, fitted scale and min, and error. */
        private final float[] det = new float[iscale.length];
        private final float[] scale = new float[iscale.length];
        private final float[] min = new float[iscale.length];
        private final float[] error = new float[iscale.length];
        /** make_qkx*_quants: the trial levels of one vector of candidates, value by value (make_q3_quants: L). */
        private final float[] levels = new float[MAX_N * LANES];
        /** make_q3_quants: for one vector of values, each value's proposed level and the sums it would give. */
        private final float[] newLevel = new float[LANES];
        private final float[] newSumlx = new float[LANES];
        private final float[] newSuml2 = new float[LANES];
        /** requantize: the levels as ints. */
        private final int[] intLevels = new int[roundUpToLanes(MAX_N)];
        /** make_qkx*_quants' second result: ggml's {@code the_min}, the negated offset (≥ 0). */
        float theMin;
    }

    private static int roundUpToLanes(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }

    /**
     * ggml's {@code MAX(lo, MIN(hi, nearest_int(v)))} in each lane, as a float: v + 1.5*2^23 leaves the rounded value
     * in the low mantissa bits, exactly as {@link Numerics#nearestInt}, and the clamped int converts exactly.
     */
    private static FloatVector nearestClamped(FloatVector v, int lo, int hi) {
        return (FloatVector) nearestClampedInt(v, lo, hi).convert(VectorOperators.I2F, 0);
    }

    private static IntVector nearestClampedInt(FloatVector v, int lo, int hi) {
        IntVector bits = v.add(ROUNDING_BIAS).reinterpretAsInts();
        return bits.and(0x007FFFFF).sub(0x00400000).max(lo).min(hi);
    }

    /**
     * The K-quants' last step, levels against the stored (rounded) sub-block scale {@code d} and offset {@code m}:
     * {@code L = clamp(nearest_int((x + m)/d), lo, hi) - lo} for the {@code n} values {@code x[xOff..]}, one value per
     * lane. The types without an offset pass {@code m = 0}: x + 0 differs from x only for -0.0, which rounds to the
     * same level.
     */
    static void requantize(float[] x, int xOff, int n, float m, float d, int lo, int hi, byte[] L, int lOff,
            Workspace ws) {
        int[] levels = ws.intLevels;
        for (int c = 0; c < n; c += LANES) {
            VectorMask<Float> inRange = SPECIES.indexInRange(c, n);
            FloatVector v = FloatVector.fromArray(SPECIES, x, xOff + c, inRange).add(m).div(d);
            nearestClampedInt(v, lo, hi).sub(lo).intoArray(levels, c);
        }
        for (int i = 0; i < n; i++) L[lOff + i] = (byte) levels[i];
    }

    /**
     * {@code make_qx_quants}: symmetric levels {@code L = l + nmax}, {@code l} in {@code [-nmax, nmax-1]}, chosen by a
     * weighted least-squares search over 19 candidate scales. Only {@code rmse_type = 1} (the one every quantizer
     * uses) is supported: weights are {@code qw} or, when it is null, {@code x*x}.
     * An all-zero group (max |x| below 1e-15) gets L = 0 (not nmax) and scale 0.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, int rmseType, float[] qw,
            int qwOff, Workspace ws) {
        if (rmseType != 1) {
            throw new IllegalArgumentException("make_qx_quants rmse_type " + rmseType + " is not supported (only 1)");
        }
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            return 0f;
        }
        // The candidates in ggml's order: first -nmax/max, then -(nmax + 0.1*is)/max for is = -9..-1, 1..9.
        float[] iscale = ws.iscale;
        iscale[0] = -nmax / max;
        int k = 1;
        for (int is = -9; is <= 9; is++) {
            if (is != 0) iscale[k++] = -(nmax + 0.1f * is) / max;
        }
        // Lane c+j holds candidate c+j: for each value in index order, l = clamp(nearest_int(iscale*x)) and ggml's
        // sumlx += w*x*l and suml2 += w*l*l, with w*x formed once as in C's left-to-right (w*x)*l.
        for (int c = 0; c < roundUpToLanes(QX_CANDIDATES); c += LANES) {
            FloatVector candidate = FloatVector.fromArray(SPECIES, iscale, c);
            FloatVector sumlx = FloatVector.zero(SPECIES);
            FloatVector suml2 = FloatVector.zero(SPECIES);
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                float w = qw != null ? qw[qwOff + i] : xi * xi;
                FloatVector l = nearestClamped(candidate.mul(xi), -nmax, nmax - 1);
                sumlx = l.mul(w * xi).add(sumlx);
                suml2 = l.mul(w).mul(l).add(suml2);
            }
            sumlx.intoArray(ws.sumlx, c);
            suml2.intoArray(ws.suml2, c);
        }
        // ggml's sequential choice: a candidate replaces the best when its sumlx²/suml2 is larger.
        float sumlx = ws.sumlx[0];
        float suml2 = ws.suml2[0];
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        int chosen = 0;
        for (k = 1; k < QX_CANDIDATES; k++) {
            sumlx = ws.sumlx[k];
            suml2 = ws.suml2[k];
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                chosen = k;
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale[chosen] * x[xOff + i]);
            L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
        }
        return scale;
    }

    /**
     * {@code make_q3_quants}: symmetric levels {@code L = l + nmax}, {@code l} in {@code [-nmax, nmax-1]}, weights
     * {@code x*x}. With {@code doRmse} the levels are refined one at a time (up to 5 passes) while the weighted error
     * drops; without it they are plain rounding at scale {@code max/-nmax}. An all-zero group gets L = 0.
     */
    static float makeQ3Quants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, boolean doRmse, Workspace ws) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        if (!doRmse) {
            for (int i = 0; i < n; i++) {
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xOff + i])));
                L[lOff + i] = (byte) (l + nmax);
            }
            return 1 / iscale;
        }
        if (n > MAX_N) throw new IllegalArgumentException("make_q3_quants supports n <= " + MAX_N + ", got " + n);
        // The signed levels, as floats, until the final shift by nmax.
        float[] level = ws.levels;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            level[i] = l;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        // ggml visits the values in order and moves value i to a new level when that lowers the error, which changes
        // the sums every later value is tried against. The vector code tries all the values of a chunk at once
        // against the current sums and takes the first improvement, then tries the values after it again.
        for (int itry = 0; itry < 5; itry++) {
            int nChanged = 0;
            for (int c = 0; c < n; c += LANES) {
                VectorMask<Float> inRange = SPECIES.indexInRange(c, n);
                FloatVector xv = FloatVector.fromArray(SPECIES, x, xOff + c, inRange);
                FloatVector w = xv.mul(xv);
                FloatVector wx = w.mul(xv);
                int from = 0;
                while (from < LANES) {
                    FloatVector li = FloatVector.fromArray(SPECIES, level, c);
                    // ggml, lane by lane: slx = sumlx - w*x*l; sl2 = suml2 - w*l*l;
                    // newL = clamp(nearest_int(x*sl2/slx)); then slx += w*x*newL; sl2 += w*newL*newL. The move is
                    // taken when slx > 0, newL != l, sl2 > 0 and slx*slx*suml2 > sumlx*sumlx*sl2.
                    FloatVector slx = FloatVector.broadcast(SPECIES, sumlx).sub(wx.mul(li));
                    FloatVector sl2 = FloatVector.broadcast(SPECIES, suml2).sub(w.mul(li).mul(li));
                    FloatVector newL = nearestClamped(xv.mul(sl2).div(slx), -nmax, nmax - 1);
                    FloatVector newSlx = slx.add(wx.mul(newL));
                    FloatVector newSl2 = sl2.add(w.mul(newL).mul(newL));
                    VectorMask<Float> better = slx.compare(VectorOperators.GT, 0f)
                            .and(newL.compare(VectorOperators.NE, li))
                            .and(newSl2.compare(VectorOperators.GT, 0f))
                            .and(newSlx.mul(newSlx).mul(suml2).compare(VectorOperators.GT, newSl2.mul(sumlx * sumlx)))
                            .and(inRange);
                    long untried = better.toLong() & (-1L << from);
                    if (untried == 0) break;
                    int lane = Long.numberOfTrailingZeros(untried);
                    newL.intoArray(ws.newLevel, 0);
                    newSlx.intoArray(ws.newSumlx, 0);
                    newSl2.intoArray(ws.newSuml2, 0);
                    level[c + lane] = ws.newLevel[lane];
                    sumlx = ws.newSumlx[lane];
                    suml2 = ws.newSuml2[lane];
                    nChanged++;
                    from = lane + 1;
                }
            }
            if (nChanged == 0) break;
        }
        for (int i = 0; i < n; i++) L[lOff + i] = (byte) ((int) level[i] + nmax);
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * {@code make_qkx2_quants}: asymmetric levels {@code L} in {@code [0, nmax]} with {@code x ~ scale*L - theMin},
     * found by trying {@code nstep+1} scales {@code (rmin + rdelta*is + nmax)/(max-min)} and a weighted least-squares
     * fit for each. Stores the min offset (≥ 0) in {@code ws.theMin}.
     * Error is weighted |diff| with {@code useMad}, weighted diff² otherwise.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] w, int wOff, byte[] L, int lOff,
            float rmin, float rdelta, int nstep, boolean useMad, Workspace ws) {
        return makeQkxQuants(n, nmax, x, xOff, w, wOff, L, lOff, rmin, rdelta, nstep, useMad, ws);
    }

    /**
     * {@code make_qkx3_quants} (the imatrix paths): {@link #makeQkx2Quants} with optional weights ({@code null} means
     * {@code x*x}). ggml's other difference, a {@code max <= min} instead of {@code max == min} degenerate test,
     * decides identically: after {@code min} is clamped to ≤ 0, {@code max < min} cannot happen.
     */
    static float makeQkx3Quants(int n, int nmax, float[] x, int xOff, float[] w, int wOff, byte[] L, int lOff,
            float rmin, float rdelta, int nstep, boolean useMad, Workspace ws) {
        return makeQkxQuants(n, nmax, x, xOff, w, wOff, L, lOff, rmin, rdelta, nstep, useMad, ws);
    }

    private static float makeQkxQuants(int n, int nmax, float[] x, int xOff, float[] w, int wOff, byte[] L, int lOff,
            float rmin, float rdelta, int nstep, boolean useMad, Workspace ws) {
        if (n > MAX_N || nstep + 1 > MAX_QKX_CANDIDATES) {
            throw new IllegalArgumentException("make_qkx_quants supports n <= " + MAX_N + " and nstep < "
                    + MAX_QKX_CANDIDATES + ", got n " + n + ", nstep " + nstep);
        }
        float x0 = x[xOff];
        float min = x0;
        float max = x0;
        float sumW = w != null ? w[wOff] : x0 * x0;
        float sumX = sumW * x0;
        for (int i = 1; i < n; i++) {
            float xi = x[xOff + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float wi = w != null ? w[wOff + i] : xi * xi;
            sumW += wi;
            sumX += wi * xi;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            ws.theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (xi - min))));
            L[lOff + i] = (byte) l;
            float diff = scale * l + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            float wi = w != null ? w[wOff + i] : xi * xi;
            bestError += wi * diff;
        }
        if (nstep < 1) {
            ws.theMin = -min;
            return scale;
        }
        // ggml tries is = 0..nstep in order, and an accepted candidate's fitted min becomes the min that the later
        // candidates' scales and levels are computed from. So the candidates from `first` on are evaluated together
        // at the current min, and accepted in order; when an acceptance changes min, the rest are evaluated again.
        int first = 0;
        while (first <= nstep) {
            int count = nstep + 1 - first;
            for (int k = 0; k < count; k++) ws.iscale[k] = (rmin + rdelta * (first + k) + nmax) / (max - min);
            evaluateQkxCandidates(n, nmax, x, xOff, w, wOff, min, sumW, sumX, useMad, count, ws);
            int restart = -1;
            for (int k = 0; k < count && restart < 0; k++) {
                if (ws.det[k] > 0 && ws.error[k] < bestError) {
                    for (int i = 0; i < n; i++) {
                        int l = nearestInt(ws.iscale[k] * (x[xOff + i] - min));
                        L[lOff + i] = (byte) Math.max(0, Math.min(nmax, l));
                    }
                    bestError = ws.error[k];
                    scale = ws.scale[k];
                    if (Float.floatToRawIntBits(ws.min[k]) != Float.floatToRawIntBits(min)) restart = k;
                    min = ws.min[k];
                }
            }
            if (restart < 0) break;
            first += restart + 1;
        }
        ws.theMin = -min;
        return scale;
    }

    /**
     * The body of make_qkx*_quants' search for {@code count} candidates {@code ws.iscale[0..count)} at offset
     * {@code min}: into {@code ws.det} the determinant D, {@code ws.scale}/{@code ws.min} the fit
     * ({@code this_scale}, {@code this_min}) and {@code ws.error} its weighted error. Each lane is one candidate.
     */
    private static void evaluateQkxCandidates(int n, int nmax, float[] x, int xOff, float[] w, int wOff, float min,
            float sumW, float sumX, boolean useMad, int count, Workspace ws) {
        float[] levels = ws.levels;
        for (int c = 0; c < count; c += LANES) {
            FloatVector iscale = FloatVector.fromArray(SPECIES, ws.iscale, c);
            // Per value in index order: l = clamp(nearest_int(iscale*(x-min))) and ggml's sums of w*l, w*l*l, w*l*x
            // (C's left-to-right products, so w*l is shared). The levels are kept for the error pass.
            FloatVector sumL = FloatVector.zero(SPECIES);
            FloatVector sumL2 = FloatVector.zero(SPECIES);
            FloatVector sumXL = FloatVector.zero(SPECIES);
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                float wi = w != null ? w[wOff + i] : xi * xi;
                FloatVector l = nearestClamped(iscale.mul(xi - min), 0, nmax);
                l.intoArray(levels, i * LANES);
                FloatVector wl = l.mul(wi);
                sumL = wl.add(sumL);
                sumL2 = wl.mul(l).add(sumL2);
                sumXL = wl.mul(xi).add(sumXL);
            }
            // ggml's fit, lane by lane: D = sum_w*sum_l2 - sum_l*sum_l, this_scale = (sum_w*sum_xl - sum_x*sum_l)/D,
            // this_min = (sum_l2*sum_x - sum_l*sum_xl)/D; if this_min > 0: this_min = 0, this_scale = sum_xl/sum_l2.
            FloatVector det = sumL2.mul(sumW).sub(sumL.mul(sumL));
            FloatVector thisScale = sumXL.mul(sumW).sub(sumL.mul(sumX)).div(det);
            FloatVector thisMin = sumL2.mul(sumX).sub(sumL.mul(sumXL)).div(det);
            VectorMask<Float> minAboveZero = thisMin.compare(VectorOperators.GT, 0f);
            thisScale = thisScale.blend(sumXL.div(sumL2), minAboveZero);
            thisMin = thisMin.blend(0f, minAboveZero);
            // Per value in index order: diff = this_scale*l + this_min - x, |diff| or diff², error += w*diff.
            FloatVector error = FloatVector.zero(SPECIES);
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                float wi = w != null ? w[wOff + i] : xi * xi;
                FloatVector l = FloatVector.fromArray(SPECIES, levels, i * LANES);
                FloatVector diff = thisScale.mul(l).add(thisMin).sub(xi);
                diff = useMad ? diff.abs() : diff.mul(diff);
                error = diff.mul(wi).add(error);
            }
            det.intoArray(ws.det, c);
            thisScale.intoArray(ws.scale, c);
            thisMin.intoArray(ws.min, c);
            error.intoArray(ws.error, c);
        }
    }

    /**
     * {@code make_qp_quants}: unsigned levels {@code L} in {@code [0, nmax]} for non-negative values (the sub-block
     * scales and mins of the imatrix paths), weighted by {@code qw}: a search over 9 scales, then up to 5 passes of
     * one-level-at-a-time refinement. An all-zero group (max below 1e-15) gets L = 0 and scale 0.
     * L is C's {@code uint8_t}: a negative level (possible only for a negative input) wraps, as in ggml.
     */
    static float makeQpQuants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, float[] qw, int qwOff) {
        float max = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            max = max > xi ? max : xi; // C's MAX macro (differs from Math.max for NaN and -0.0)
        }
        if (max < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            return 0f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; i++) L[lOff + i] = (byte) nearestInt(iscale * x[xOff + i]);
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; i++) {
            float diff = x[xOff + i] - scale * (L[lOff + i] & 0xFF);
            float w = qw[qwOff + i];
            bestMse += w * diff * diff;
        }
        for (int is = -4; is <= 4; is++) {
            if (is == 0) continue;
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.min(nmax, nearestInt(iscaleIs * x[xOff + i]));
                float diff = x[xOff + i] - scaleIs * l;
                float w = qw[qwOff + i];
                mse += w * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int l = Math.min(nmax, nearestInt(iscale * xi));
            L[lOff + i] = (byte) l;
            float w = qw[qwOff + i];
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int nChanged = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                int li = L[lOff + i] & 0xFF;
                float w = qw[qwOff + i];
                float slx = sumlx - w * xi * li;
                float sl2 = suml2 - w * li * li;
                if (slx > 0 && sl2 > 0) {
                    int newL = Math.min(nmax, nearestInt(xi * sl2 / slx));
                    if (newL != li) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lOff + i] = (byte) newL;
                            sumlx = slx;
                            suml2 = sl2;
                            nChanged++;
                        }
                    }
                }
            }
            if (nChanged == 0) break;
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }
}
