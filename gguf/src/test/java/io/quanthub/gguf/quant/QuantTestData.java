package io.quanthub.gguf.quant;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Varied rows for comparing our quantizers with ggml: the shapes of real weights and the corner cases that break
 * bit-exactness (ties, zero and -0.0 blocks, constant blocks, outliers, tiny and huge scales).
 */
final class QuantTestData {
    /** One test input: {@code nRows} rows of {@code nPerRow} values. */
    record Case(String name, float[] values, int nRows, int nPerRow) {
        @Override
        public String toString() {
            return name + " " + nRows + "x" + nPerRow;
        }
    }

    private QuantTestData() {
    }

    /** Cases whose row length is a multiple of {@code blockSize}. */
    static List<Case> cases(int blockSize) {
        List<Case> cases = new ArrayList<>();
        int[] rowLengths = blockSize == 256 ? new int[]{256, 512, 3072} : new int[]{32, 96, 256, 3072};
        long seed = 42;
        for (int n : rowLengths) {
            int rows = Math.max(2, 8192 / n);
            cases.add(new Case("gaussian", gaussian(new SplittableRandom(seed++), rows * n, 1f), rows, n));
            cases.add(new Case("uniform", uniform(new SplittableRandom(seed++), rows * n, -1f, 1f), rows, n));
        }
        int n = 256 * (blockSize == 256 ? 2 : 1);
        SplittableRandom r = new SplittableRandom(7);
        cases.add(new Case("all-positive", uniform(r, 8 * n, 0.001f, 2f), 8, n));
        cases.add(new Case("all-negative", uniform(r, 8 * n, -2f, -0.001f), 8, n));
        cases.add(new Case("outliers", outliers(r, 16 * n), 16, n));
        cases.add(new Case("discrete-ties", discrete(r, 16 * n), 16, n));
        cases.add(new Case("zero-and-constant-blocks", specialBlocks(r, 16 * n, blockSize), 16, n));
        cases.add(new Case("sparse", sparse(r, 8 * n), 8, n));
        for (float scale : new float[]{1e-38f, 1e-30f, 1e-20f, 1e-10f, 1e-5f, 1e5f, 1e9f}) {
            cases.add(new Case("gaussian*" + scale, gaussian(r, 4 * n, scale), 4, n));
        }
        cases.add(new Case("mixed-scales", mixedScales(r, 16 * n, blockSize), 16, n));
        cases.add(new Case("sub-block-kinds", subBlockKinds(r, 8 * n), 8, n));
        return cases;
    }

    /** A positive importance vector per row position, with some zero and some very large entries. */
    static float[] imatrix(int nPerRow, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[nPerRow];
        for (int i = 0; i < nPerRow; i++) {
            double u = r.nextDouble();
            w[i] = u < 0.05 ? 0f : u > 0.97 ? (float) (100 * r.nextDouble()) : (float) (r.nextDouble() * r.nextDouble());
        }
        return w;
    }

    static float[] gaussian(SplittableRandom r, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (gauss(r) * scale);
        return x;
    }

    static float[] uniform(SplittableRandom r, int n, float lo, float hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return x;
    }

    private static float[] outliers(SplittableRandom r, int n) {
        float[] x = gaussian(r, n, 0.02f);
        for (int i = 0; i < n; i++) {
            if (r.nextInt(97) == 0) x[i] = (float) (gauss(r) * 40);
        }
        return x;
    }

    /** Values on a coarse grid, so that many products land exactly on rounding ties. */
    private static float[] discrete(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (r.nextInt(33) - 16) * 0.25f;
        return x;
    }

    /** Blocks of +0, -0, mixed signed zeros, a constant, a constant negative, one non-zero value. */
    private static float[] specialBlocks(SplittableRandom r, int n, int blockSize) {
        float[] x = gaussian(r, n, 1f);
        int block = Math.max(blockSize, 32);
        int kinds = 7;
        for (int b = 0; b * block < n; b++) {
            int start = b * block;
            for (int j = 0; j < block; j++) {
                float v = switch (b % kinds) {
                    case 0 -> 0f;
                    case 1 -> -0f;
                    case 2 -> (j % 2 == 0) ? 0f : -0f;
                    case 3 -> 0.7f;
                    case 4 -> -3.25f;
                    case 5 -> j == 5 ? 1.5f : 0f;
                    default -> x[start + j];
                };
                x[start + j] = v;
            }
        }
        return x;
    }

    private static float[] sparse(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            if (r.nextInt(10) == 0) x[i] = (float) gauss(r);
        }
        return x;
    }

    /** Each block at its own magnitude between 1e-38 and 1e9. */
    private static float[] mixedScales(SplittableRandom r, int n, int blockSize) {
        float[] x = new float[n];
        int block = Math.max(blockSize, 32);
        for (int start = 0; start < n; start += block) {
            double scale = Math.pow(10, -38 + 47 * r.nextDouble());
            for (int j = 0; j < block && start + j < n; j++) x[start + j] = (float) (gauss(r) * scale);
        }
        return x;
    }

    /**
     * Each 16-value sub-block (the K-quants' smallest scale group) of a random kind: zero, constant, one spike, coarse
     * grid, tiny or huge magnitude, or gaussian, so that degenerate sub-blocks sit next to ordinary ones in a block.
     */
    private static float[] subBlockKinds(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int start = 0; start < n; start += 16) {
            int kind = r.nextInt(8);
            int spike = r.nextInt(16);
            double scale = Math.pow(10, -30 + 40 * r.nextDouble());
            for (int j = 0; j < 16; j++) {
                x[start + j] = switch (kind) {
                    case 0 -> 0f;
                    case 1 -> 0.37f;
                    case 2 -> -1.25f;
                    case 3 -> j == spike ? 3f : 0f;
                    case 4 -> (r.nextInt(9) - 4) * 0.5f;
                    case 5 -> (float) (r.nextDouble() * scale);
                    default -> (float) (gauss(r) * scale);
                };
            }
        }
        return x;
    }

    private static double gauss(SplittableRandom r) {
        double u = 1 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
