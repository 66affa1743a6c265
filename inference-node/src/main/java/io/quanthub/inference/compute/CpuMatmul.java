package io.quanthub.inference.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * {@code out[t][o] = sum_i x[t][i] * w[o][i] + bias[o]} with the weight left in its stored type: it is dequantized
 * slice by slice inside the kernel, never as a whole. Activations stay F32 (ggml quantizes them to 8 bits for quantized
 * weights; we do not), so the result is the F32 product with the dequantized weight.
 *
 * <p>Matrix-matrix products (a diffusion step runs 256 to 4096 tokens) follow the GotoBLAS/BLIS loop order:
 * <ul>
 *   <li>Output features are cut into strips of {@link #STRIP} features and tokens into chunks; one task per
 *       (strip, chunk), so two cores split even a 64-feature layer.</li>
 *   <li>The input dimension is walked in chunks of {@link #KC} values (a multiple of every block size). For each,
 *       the task dequantizes its strip's row slices and packs them transposed into panels of {@link #NR} features,
 *       {@code panel[k][NR]} (16 KiB on AVX2), and every token of the chunk runs through them while they are in
 *       L1/L2: one dequantization serves hundreds of tokens.</li>
 *   <li>The micro-kernel holds a block of {@link #MR} tokens x {@link #NR} features of sums in registers (12 vectors):
 *       per input value it loads two weight vectors, broadcasts six activations and issues 12 FMAs.</li>
 * </ul>
 * Each sum runs over k in order within a chunk, and the chunks add up in order, whatever the threads, so results do
 * not depend on the thread count.
 *
 * <p>Fewer tokens than {@link #MR} (the one-token modulation and embedding layers) take a matrix-vector path: tiles
 * of whole rows dequantized once and dotted with each token by {@link #dot8}, whose sum across lanes is written out in
 * a fixed order on vectors of a fixed 8 lanes ({@code reduceLanes(ADD)} adds in one order compiled by C2 and in
 * another interpreted, and the preferred width differs between CPUs).
 */
final class CpuMatmul {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** The matrix-vector path's fixed width: 8 lanes on every CPU (AVX2 and AVX-512 alike run it in hardware). */
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    /** Features per packed panel: two vectors. */
    static final int NR = 2 * F.length();
    /** Tokens per micro-kernel call. */
    static final int MR = 6;
    /** Input values per packed chunk: a multiple of every block size (32 and 256). */
    static final int KC = 256;
    /** Features per task: four panels. */
    static final int STRIP = 4 * NR;
    /** Tokens per task at least, when tokens are split for parallelism (each chunk dequantizes the strip again). */
    static final int MIN_CHUNK_TOKENS = 96;
    /** Tokens run through the packed panels before the next block: their KC-slices (96 KiB) stay in L2. */
    static final int TOKEN_BLOCK = 96;
    /** Rows dequantized at once on the matrix-vector path. */
    static final int TILE_ROWS = 16;

    /** Per-thread scratch, grown on demand and kept: worker threads are reused. */
    private static final class Scratch {
        float[] floats = new float[0];
        final float[] packed = new float[(STRIP / NR) * KC * NR];
        final float[] tile = new float[MR * NR];

        float[] floats(long n) {
            if (floats.length < n) floats = new float[Math.toIntExact(n)];
            return floats;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private CpuMatmul() {
    }

    /** The product into {@code out} (old contents ignored); arguments are checked by the caller. */
    static void multiply(float[] x, int tokens, Weight w, float[] bias, float[] out) {
        int outDim = w.rows();
        if (tokens < MR) {
            matrixVector(x, tokens, w, bias, out);
            return;
        }
        int strips = ceilDiv(outDim, STRIP);
        int threads = ForkJoinPool.getCommonPoolParallelism() + 1;
        // Enough tasks for every thread to stay busy, without cutting tokens so fine that dequantizing dominates.
        int chunks = Math.clamp(ceilDiv(4 * threads, strips), 1, Math.max(1, tokens / MIN_CHUNK_TOKENS));
        int chunkTokens = ceilDiv(ceilDiv(tokens, chunks), MR) * MR;
        int chunkCount = ceilDiv(tokens, chunkTokens);
        IntStream.range(0, strips * chunkCount).parallel().forEach(task -> {
            int o0 = task / chunkCount * STRIP;
            int t0 = task % chunkCount * chunkTokens;
            strip(x, w, bias, out, o0, Math.min(STRIP, outDim - o0), t0, Math.min(tokens, t0 + chunkTokens));
        });
    }

    /** Features {@code [o0, o0 + width)} of tokens {@code [t0, t1)}. */
    private static void strip(float[] x, Weight w, float[] bias, float[] out, int o0, int width, int t0, int t1) {
        int in = w.cols();
        int outDim = w.rows();
        Scratch s = SCRATCH.get();
        // The sums start from the bias (or zero): out may be a reused array.
        for (int t = t0; t < t1; t++) {
            if (bias != null) {
                System.arraycopy(bias, o0, out, t * outDim + o0, width);
            } else {
                Arrays.fill(out, t * outDim + o0, t * outDim + o0 + width, 0f);
            }
        }
        int panels = ceilDiv(width, NR);
        for (int k0 = 0; k0 < in; k0 += KC) {
            int kc = Math.min(KC, in - k0);
            pack(w, o0, width, k0, kc, s);
            for (int b0 = t0; b0 < t1; b0 += TOKEN_BLOCK) {
                int b1 = Math.min(t1, b0 + TOKEN_BLOCK);
                for (int p = 0; p < panels; p++) {
                    int o = o0 + p * NR;
                    int features = Math.min(NR, o0 + width - o);
                    int panel = p * KC * NR;
                    int t = b0;
                    for (; t + MR <= b1; t += MR) {
                        if (features == NR) {
                            kernel6(x, t * in + k0, in, s.packed, panel, kc, out, t * outDim + o, outDim);
                        } else {
                            // A last, narrower panel: sum into the scratch tile, then add the real features.
                            Arrays.fill(s.tile, 0f);
                            kernel6(x, t * in + k0, in, s.packed, panel, kc, s.tile, 0, NR);
                            addTile(s.tile, MR, features, out, t * outDim + o, outDim);
                        }
                    }
                    for (; t < b1; t++) {
                        if (features == NR) {
                            kernel1(x, t * in + k0, s.packed, panel, kc, out, t * outDim + o);
                        } else {
                            Arrays.fill(s.tile, 0, NR, 0f);
                            kernel1(x, t * in + k0, s.packed, panel, kc, s.tile, 0);
                            addTile(s.tile, 1, features, out, t * outDim + o, outDim);
                        }
                    }
                }
            }
        }
    }

    /**
     * Dequantizes values {@code [k0, k0 + kc)} of rows {@code [o0, o0 + width)} into {@code s.packed}: panel p holds
     * rows {@code o0 + p*NR ..} as {@code [k][NR]}; rows past {@code width} are zeros.
     */
    private static void pack(Weight w, int o0, int width, int k0, int kc, Scratch s) {
        float[] row = s.floats(kc);
        float[] packed = s.packed;
        int rows = ceilDiv(width, NR) * NR;
        for (int r = 0; r < rows; r++) {
            int base = r / NR * KC * NR + r % NR;
            if (r < width) {
                w.dequantizeSlice(o0 + r, k0, kc, row, 0);
                for (int k = 0; k < kc; k++) packed[base + k * NR] = row[k];
            } else {
                for (int k = 0; k < kc; k++) packed[base + k * NR] = 0f;
            }
        }
    }

    /**
     * {@code c[cOff + i*cStride + j] += sum_k x[xOff + i*in + k] * p[pOff + k*NR + j]} for 6 tokens i and NR
     * features j: twelve vector sums held in registers across the whole k loop.
     */
    private static void kernel6(float[] x, int xOff, int in, float[] p, int pOff, int kc, float[] c, int cOff,
                                int cStride) {
        int lanes = F.length();
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        int x0 = xOff;
        int x1 = x0 + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        int x4 = x3 + in;
        int x5 = x4 + in;
        for (int k = 0; k < kc; k++) {
            int pk = pOff + k * NR;
            FloatVector b0 = FloatVector.fromArray(F, p, pk);
            FloatVector b1 = FloatVector.fromArray(F, p, pk + lanes);
            FloatVector a = FloatVector.broadcast(F, x[x0 + k]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, x[x1 + k]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, x[x2 + k]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, x[x3 + k]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, x[x4 + k]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, x[x5 + k]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        // Stores written out: vectors passed to a helper that C2 does not inline get boxed, which costs 2-3x here.
        int o = cOff;
        FloatVector.fromArray(F, c, o).add(c00).intoArray(c, o);
        FloatVector.fromArray(F, c, o + lanes).add(c01).intoArray(c, o + lanes);
        o += cStride;
        FloatVector.fromArray(F, c, o).add(c10).intoArray(c, o);
        FloatVector.fromArray(F, c, o + lanes).add(c11).intoArray(c, o + lanes);
        o += cStride;
        FloatVector.fromArray(F, c, o).add(c20).intoArray(c, o);
        FloatVector.fromArray(F, c, o + lanes).add(c21).intoArray(c, o + lanes);
        o += cStride;
        FloatVector.fromArray(F, c, o).add(c30).intoArray(c, o);
        FloatVector.fromArray(F, c, o + lanes).add(c31).intoArray(c, o + lanes);
        o += cStride;
        FloatVector.fromArray(F, c, o).add(c40).intoArray(c, o);
        FloatVector.fromArray(F, c, o + lanes).add(c41).intoArray(c, o + lanes);
        o += cStride;
        FloatVector.fromArray(F, c, o).add(c50).intoArray(c, o);
        FloatVector.fromArray(F, c, o + lanes).add(c51).intoArray(c, o + lanes);
    }

    /** {@link #kernel6} for one token (the tokens left over after blocks of six). */
    private static void kernel1(float[] x, int xOff, float[] p, int pOff, int kc, float[] c, int cOff) {
        int lanes = F.length();
        FloatVector c0 = FloatVector.zero(F);
        FloatVector c1 = FloatVector.zero(F);
        for (int k = 0; k < kc; k++) {
            int pk = pOff + k * NR;
            FloatVector a = FloatVector.broadcast(F, x[xOff + k]);
            c0 = a.fma(FloatVector.fromArray(F, p, pk), c0);
            c1 = a.fma(FloatVector.fromArray(F, p, pk + lanes), c1);
        }
        FloatVector.fromArray(F, c, cOff).add(c0).intoArray(c, cOff);
        FloatVector.fromArray(F, c, cOff + lanes).add(c1).intoArray(c, cOff + lanes);
    }

    /** Adds the first {@code features} columns of {@code tokens} rows of the scratch tile to {@code out}. */
    private static void addTile(float[] tile, int tokens, int features, float[] out, int outOff, int outDim) {
        for (int i = 0; i < tokens; i++) {
            for (int j = 0; j < features; j++) out[outOff + i * outDim + j] += tile[i * NR + j];
        }
    }

    /**
     * Few tokens: one task per tile of {@link #TILE_ROWS} weight rows, dequantized once into scratch and dotted with
     * every token (a packed panel would cost more than it saves here).
     */
    private static void matrixVector(float[] x, int tokens, Weight w, float[] bias, float[] out) {
        int in = w.cols();
        int outDim = w.rows();
        int tiles = ceilDiv(outDim, TILE_ROWS);
        IntStream.range(0, tiles).parallel().forEach(tile -> {
            Scratch s = SCRATCH.get();
            int r0 = tile * TILE_ROWS;
            int rows = Math.min(TILE_ROWS, outDim - r0);
            float[] wt = s.floats((long) rows * in);
            w.dequantizeRows(r0, rows, wt);
            for (int r = 0; r < rows; r++) {
                float b = bias == null ? 0f : bias[r0 + r];
                for (int t = 0; t < tokens; t++) out[t * outDim + r0 + r] = dot8(x, t * in, wt, r * in, in) + b;
            }
        });
    }

    /**
     * {@code sum a[aOff + i] * b[bOff + i]} for i in [0, n): eight running sums (i mod 8), added pairwise in a fixed
     * order, then the tail in order. The same bits in every JIT tier and on every CPU.
     */
    static float dot8(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F8);
        int i = 0;
        for (int upper = F8.loopBound(n); i < upper; i += F8.length()) {
            acc = FloatVector.fromArray(F8, a, aOff + i).fma(FloatVector.fromArray(F8, b, bOff + i), acc);
        }
        float sum = ((acc.lane(0) + acc.lane(1)) + (acc.lane(2) + acc.lane(3)))
                + ((acc.lane(4) + acc.lane(5)) + (acc.lane(6) + acc.lane(7)));
        for (; i < n; i++) sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        return sum;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
