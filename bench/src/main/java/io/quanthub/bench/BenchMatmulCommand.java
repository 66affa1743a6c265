package io.quanthub.bench;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.gguf.reference.GgmlCpu;
import io.quanthub.gguf.reference.GgmlLibrary;
import io.quanthub.inference.compute.BackendWeight;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.compute.Tensor;
import io.quanthub.inference.compute.Weight;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * {@code quanthub bench matmul}: the inference node's quantized matrix multiply ({@link CpuBackend#matmul}, weights
 * dequantized inside the kernel) against ggml's CPU backend ({@code ggml_mul_mat} in libggml-cpu through FFM) on the
 * same weight bytes and activations, with the same number of threads. Rounds alternate between the two; the best
 * round of each is reported, with the largest difference between the two products.
 */
@Command(name = "matmul", mixinStandardHelpOptions = true,
        description = "Benchmark quantized matrix multiply against ggml's CPU backend (libggml-cpu through FFM).")
public final class BenchMatmulCommand implements Runnable {
    @Option(names = "--types", split = ",", description = "Weight types (default: every type QuantHub writes).")
    List<String> types;

    @Option(names = "--shapes", split = ",", defaultValue = "3072x3072",
            description = "Weights as OUTxIN (default: ${DEFAULT-VALUE}, Flux's attention projection; its MLP has "
                    + "12288x3072 and 3072x12288).")
    List<String> shapes;

    @Option(names = "--tokens", split = ",", defaultValue = "256,1024",
            description = "Token counts (default: ${DEFAULT-VALUE}: the image tokens of 256x256 and 512x512).")
    List<Integer> tokenCounts;

    @Option(names = "--rounds", defaultValue = "3", description = "Timed rounds per side (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--ggml-lib", description = "Path to libggml-base.so (default: -Dggml.lib, QUANTHUB_GGML_LIB or .cache/ggml).")
    Path ggmlLib;

    @Spec
    CommandSpec spec;

    /** One measured product: best seconds of each side and max |ours - ggml| / max |ggml|. */
    record Result(GgmlType type, int rows, int cols, int tokens, double oursSeconds, double ggmlSeconds,
                  double maxRelDiff) {
        double flop() {
            return 2.0 * rows * cols * tokens;
        }

        double oursGflops() {
            return flop() / oursSeconds / 1e9;
        }

        double ggmlGflops() {
            return flop() / ggmlSeconds / 1e9;
        }

        double ratio() {
            return ggmlSeconds / oursSeconds;
        }
    }

    @Override
    public void run() {
        if (rounds < 1) throw new ParameterException(spec.commandLine(), "--rounds must be at least 1, not " + rounds);
        List<GgmlType> selected = parseTypes(types);
        List<int[]> parsedShapes = shapes.stream().map(s -> parseShape(spec, s)).toList();
        for (int t : tokenCounts) {
            if (t < 1) throw new ParameterException(spec.commandLine(), "--tokens must be positive, not " + t);
        }
        PrintWriter out = spec.commandLine().getOut();
        GgmlLibrary base = ggmlLib != null ? GgmlLibrary.load(ggmlLib) : GgmlLibrary.load();
        GgmlCpu ggml = GgmlCpu.load(base);
        int threads = threads();
        out.println(BenchSupport.machineLine(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        out.printf(Locale.ROOT, "reference: %s (ggml_mul_mat, ggml_graph_compute_with_ctx), %d threads each; best of "
                + "%d alternating rounds after a warm-up%n", ggml.libraryName(), threads, rounds);
        out.println("ours keeps activations F32; ggml converts them to its dot type (F16, BF16 or 8-bit blocks for "
                + "quantized weights), so differences up to ~1e-2 are expected there");
        for (int[] shape : parsedShapes) {
            out.printf(Locale.ROOT, "%nweight %d x %d (out x in)%n", shape[0], shape[1]);
            out.printf(Locale.ROOT, "%-8s %6s %13s %13s %10s %13s%n", "type", "tokens", "ours GFLOP/s", "ggml GFLOP/s",
                    "ours/ggml", "max rel diff");
            for (GgmlType type : selected) {
                if (shape[1] % type.blockSize != 0) continue;
                // Shared: the weight is quantized into it, and read by our kernels, from several threads.
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment weight = quantizedGaussian(arena, type, shape[0], shape[1]);
                    for (int tokens : tokenCounts) {
                        Result r = measure(ggml, type, weight, shape[0], shape[1], tokens, rounds, threads);
                        out.printf(Locale.ROOT, "%-8s %6d %13.1f %13.1f %9.2fx %13.1e%n", type, tokens,
                                r.oursGflops(), r.ggmlGflops(), r.ratio(), r.maxRelDiff());
                        out.flush();
                    }
                }
            }
        }
    }

    /** The thread count of our kernels (parallel streams: the common pool's workers plus the caller). */
    static int threads() {
        return ForkJoinPool.getCommonPoolParallelism() + 1;
    }

    /**
     * Times our matmul and ggml's on the same weight bytes and activations in alternating rounds, after one untimed
     * round each (JIT compilation, ggml's first touch of its buffers).
     */
    static Result measure(GgmlCpu ggml, GgmlType type, MemorySegment weightBytes, int rows, int cols, int tokens,
                          int rounds, int threads) {
        float[] x = gaussian((long) tokens * cols, 1.0, 7);
        CpuBackend backend = new CpuBackend();
        Weight w = new Weight("bench", type, new long[] {rows, cols}, weightBytes);
        BackendWeight loaded = backend.load(w);
        Tensor input = backend.upload(x, tokens, cols);
        try (GgmlCpu.MulMat reference = ggml.mulMat(type, weightBytes, rows, cols, x, tokens)) {
            Tensor ours = backend.matmul(input, loaded, null);
            reference.compute(threads);
            double bestOurs = Double.MAX_VALUE;
            double bestGgml = Double.MAX_VALUE;
            for (int round = 0; round < rounds; round++) {
                backend.free(ours);
                long t0 = System.nanoTime();
                ours = backend.matmul(input, loaded, null);
                long t1 = System.nanoTime();
                reference.compute(threads);
                long t2 = System.nanoTime();
                bestOurs = Math.min(bestOurs, (t1 - t0) / 1e9);
                bestGgml = Math.min(bestGgml, (t2 - t1) / 1e9);
            }
            float[] result = backend.download(ours);
            backend.free(ours, input);
            return new Result(type, rows, cols, tokens, bestOurs, bestGgml, maxRelDiff(result, reference.result()));
        }
    }

    /** A [rows x cols] gaussian weight (std 0.02, like trained Linear weights) quantized to type, in native memory. */
    private static MemorySegment quantizedGaussian(Arena arena, GgmlType type, int rows, int cols) {
        long rowBytes = type.rowBytes(cols);
        MemorySegment data = arena.allocate(rowBytes * rows, 64);
        int rowsPerTask = 64;
        // Quantizing (the IQ4 types especially) is slower than multiplying: split it over the cores.
        IntStream.range(0, (rows + rowsPerTask - 1) / rowsPerTask).parallel().forEach(task -> {
            int r0 = task * rowsPerTask;
            int n = Math.min(rowsPerTask, rows - r0);
            float[] values = gaussian((long) n * cols, 0.02, 1000L + r0);
            byte[] bytes = new byte[Math.toIntExact(n * rowBytes)];
            Quants.of(type).quantize(values, 0, bytes, 0, n, cols, null);
            MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, r0 * rowBytes, bytes.length);
        });
        return data;
    }

    static double maxRelDiff(float[] ours, float[] reference) {
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < reference.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) ours[i] - reference[i]));
            maxAbs = Math.max(maxAbs, Math.abs(reference[i]));
        }
        return maxAbs == 0 ? maxDiff : maxDiff / maxAbs;
    }

    static float[] gaussian(long n, double std, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[Math.toIntExact(n)];
        for (int i = 0; i < x.length; i++) {
            double u = 1 - r.nextDouble();
            x[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble()) * std);
        }
        return x;
    }

    private List<GgmlType> parseTypes(List<String> names) {
        if (names == null) return Quants.supported();
        List<GgmlType> parsed = new ArrayList<>();
        for (String name : names) {
            GgmlType t = GgmlType.byName(name.strip()).filter(Quants::supports).orElseThrow(() -> new ParameterException(
                    spec.commandLine(), "unknown weight type '" + name + "'; supported: " + Quants.supported()));
            parsed.add(t);
        }
        return parsed;
    }

    private static int[] parseShape(CommandSpec spec, String shape) {
        String[] parts = shape.strip().toLowerCase(Locale.ROOT).split("x");
        try {
            if (parts.length == 2) {
                int rows = Integer.parseInt(parts[0]);
                int cols = Integer.parseInt(parts[1]);
                if (rows > 0 && cols > 0 && cols % 256 == 0) return new int[] {rows, cols};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ParameterException(spec.commandLine(), "--shapes: expected OUTxIN with IN a multiple of 256, not '"
                + shape + "'");
    }

}
