package io.quanthub.gguf.quant;

import static io.quanthub.gguf.quant.Numerics.nearestInt;

/**
 * ggml's shared scale solvers (ggml-quants.c {@code make_q*_quants}; spec gguf-and-quants.md §5). Each finds integer
 * levels {@code L} for {@code n} values {@code x[xOff..]} and returns the scale that dequantizes them.
 * <p>
 * They work on offsets into caller-owned arrays and never allocate, because they run once per 16 or 32 values.
 * Float operations follow ggml's C source operation by operation: integers become floats where they meet a float,
 * sums accumulate in index order, and nothing is fused or reassociated. {@code L} arrays hold C's {@code uint8_t}
 * or {@code int8_t} values in Java bytes; where ggml stores an out-of-range int into a {@code uint8_t} and reads it
 * back, the code does the same through {@code & 0xFF}.
 */
final class Solvers {
    /** ggml's GROUP_MAX_EPS: a group whose largest magnitude is below this is treated as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    /** make_qx_quants' candidates is = -9..-1, 1..9, as the first of each group of three evaluated together. */
    private static final int[] QX_CANDIDATE_GROUPS = {-9, -6, -3, 1, 4, 7};

    private Solvers() {
    }

    /**
     * {@code make_qx_quants}: symmetric levels {@code L = l + nmax}, {@code l} in {@code [-nmax, nmax-1]}, chosen by a
     * weighted least-squares search over 19 candidate scales. Only {@code rmse_type = 1} (the one every quantizer
     * uses) is supported: weights are {@code qw} or, when it is null, {@code x*x}.
     * An all-zero group (max |x| below 1e-15) gets L = 0 (not nmax) and scale 0.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, int rmseType, float[] qw,
            int qwOff) {
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
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lOff + i] = (byte) (l + nmax);
            float w = qw != null ? qw[qwOff + i] : xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        // ggml tries is = -9..9 (skipping 0) one after another. Candidates depend on each other only through the
        // accept test, so three are summed in one pass (each sum still adds in index order, hence bit-identical) and
        // then tested in ggml's order: the independent add chains run in parallel, 1.7 times faster than one per pass.
        for (int is0 : QX_CANDIDATE_GROUPS) {
            float iscale0 = -(nmax + 0.1f * is0) / max;
            float iscale1 = -(nmax + 0.1f * (is0 + 1)) / max;
            float iscale2 = -(nmax + 0.1f * (is0 + 2)) / max;
            float sumlx0 = 0, suml20 = 0, sumlx1 = 0, suml21 = 0, sumlx2 = 0, suml22 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                float w = qw != null ? qw[qwOff + i] : xi * xi;
                float wx = w * xi;
                int l0 = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale0 * xi)));
                int l1 = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale1 * xi)));
                int l2 = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale2 * xi)));
                sumlx0 += wx * l0;
                suml20 += w * l0 * l0;
                sumlx1 += wx * l1;
                suml21 += w * l1 * l1;
                sumlx2 += wx * l2;
                suml22 += w * l2 * l2;
            }
            if (suml20 > 0 && sumlx0 * sumlx0 > best * suml20) {
                storeQxLevels(n, nmax, x, xOff, L, lOff, iscale0);
                scale = sumlx0 / suml20;
                best = scale * sumlx0;
            }
            if (suml21 > 0 && sumlx1 * sumlx1 > best * suml21) {
                storeQxLevels(n, nmax, x, xOff, L, lOff, iscale1);
                scale = sumlx1 / suml21;
                best = scale * sumlx1;
            }
            if (suml22 > 0 && sumlx2 * sumlx2 > best * suml22) {
                storeQxLevels(n, nmax, x, xOff, L, lOff, iscale2);
                scale = sumlx2 / suml22;
                best = scale * sumlx2;
            }
        }
        return scale;
    }

    private static void storeQxLevels(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, float iscale) {
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * x[xOff + i]);
            L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
        }
    }

    /**
     * {@code make_q3_quants}: symmetric levels {@code L = l + nmax}, {@code l} in {@code [-nmax, nmax-1]}, weights
     * {@code x*x}. With {@code doRmse} the levels are refined one at a time (up to 5 passes) while the weighted error
     * drops; without it they are plain rounding at scale {@code max/-nmax}. An all-zero group gets L = 0.
     */
    static float makeQ3Quants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, boolean doRmse) {
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
        // L holds the signed level until the final shift by nmax.
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lOff + i] = (byte) l;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int nChanged = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                int li = L[lOff + i];
                float w = xi * xi;
                float slx = sumlx - w * xi * li;
                if (slx > 0) {
                    float sl2 = suml2 - w * li * li;
                    int newL = Math.max(-nmax, Math.min(nmax - 1, nearestInt(xi * sl2 / slx)));
                    if (newL != li) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
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
        for (int i = 0; i < n; i++) L[lOff + i] = (byte) (L[lOff + i] + nmax);
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * {@code make_qkx2_quants}: asymmetric levels {@code L} in {@code [0, nmax]} with {@code x ~ scale*L - theMin},
     * found by trying {@code nstep+1} scales {@code (rmin + rdelta*is + nmax)/(max-min)} and a weighted least-squares
     * fit for each. Stores the min offset (≥ 0) in {@code theMin[0]}; {@code laux} is n bytes of scratch.
     * Error is weighted |diff| with {@code useMad}, weighted diff² otherwise.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] w, int wOff, byte[] L, int lOff,
            float[] theMin, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        return makeQkxQuants(n, nmax, x, xOff, w, wOff, L, lOff, theMin, laux, rmin, rdelta, nstep, useMad);
    }

    /**
     * {@code make_qkx3_quants} (the imatrix paths): {@link #makeQkx2Quants} with optional weights ({@code null} means
     * {@code x*x}). ggml's other difference, a {@code max <= min} instead of {@code max == min} degenerate test,
     * decides identically: after {@code min} is clamped to ≤ 0, {@code max < min} cannot happen.
     */
    static float makeQkx3Quants(int n, int nmax, float[] x, int xOff, float[] w, int wOff, byte[] L, int lOff,
            float[] theMin, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        return makeQkxQuants(n, nmax, x, xOff, w, wOff, L, lOff, theMin, laux, rmin, rdelta, nstep, useMad);
    }

    private static float makeQkxQuants(int n, int nmax, float[] x, int xOff, float[] w, int wOff, byte[] L, int lOff,
            float[] theMin, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
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
            theMin[0] = -min;
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
            theMin[0] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (xi - min))));
                laux[i] = (byte) l;
                float wi = w != null ? w[wOff + i] : xi * xi;
                sumL += wi * l;
                sumL2 += wi * l * l;
                sumXL += wi * l * xi;
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float xi = x[xOff + i];
                    float diff = thisScale * laux[i] + thisMin - xi;
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    float wi = w != null ? w[wOff + i] : xi * xi;
                    curError += wi * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lOff, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
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
