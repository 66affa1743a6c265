package io.quanthub.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The machine's float32 multiply-add peak, measured: {@code threads} threads each run 16 independent chains of
 * vector fused multiply-adds (enough to hide the FMA latency on every current x86 and ARM core), and the total rate is
 * the best of a few rounds. No float32 program on these threads can multiply faster, so it bounds what any engine
 * (ours, PyTorch's OpenBLAS) can reach: the benchmarks report each side's share of it.
 */
final class FmaPeak {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 16;

    private FmaPeak() {
    }

    /** The best total rate of {@code rounds} rounds, in GFLOP/s (an FMA counts two). */
    static double gflops(int threads, int rounds) {
        long iterations = 20_000_000L;
        double best = 0;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int r = 0; r < rounds; r++) {
                List<Callable<Float>> work = new ArrayList<>();
                for (int t = 0; t < threads; t++) work.add(() -> chains(iterations));
                long t0 = System.nanoTime();
                float sink = 0;
                for (Future<Float> f : pool.invokeAll(work)) sink += f.get();
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (Float.isNaN(sink)) throw new IllegalStateException("unreachable: keeps the sums alive");
                best = Math.max(best, threads * iterations * CHAINS * SPECIES.length() * 2.0 / seconds / 1e9);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring the FMA peak", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return best;
    }

    /** Sixteen accumulators kept in registers, each {@code a = a * b + c} per iteration. */
    private static float chains(long iterations) {
        FloatVector b = FloatVector.broadcast(SPECIES, 0.999999f);
        FloatVector c = FloatVector.broadcast(SPECIES, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(SPECIES, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
                a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(b, c); a1 = a1.fma(b, c); a2 = a2.fma(b, c); a3 = a3.fma(b, c);
            a4 = a4.fma(b, c); a5 = a5.fma(b, c); a6 = a6.fma(b, c); a7 = a7.fma(b, c);
            a8 = a8.fma(b, c); a9 = a9.fma(b, c); a10 = a10.fma(b, c); a11 = a11.fma(b, c);
            a12 = a12.fma(b, c); a13 = a13.fma(b, c); a14 = a14.fma(b, c); a15 = a15.fma(b, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .add(a12).add(a13).add(a14).add(a15).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        System.out.printf("%.1f GFLOP/s on %d threads (%d-lane vectors)%n", gflops(threads, 5), threads,
                SPECIES.length());
    }
}
