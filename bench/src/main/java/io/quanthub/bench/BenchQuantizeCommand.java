package io.quanthub.bench;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.quant.QuantFormat;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.gguf.reference.GgmlLibrary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * {@code quanthub bench quantize}: quantization speed, ours against ggml's own reference quantizer, in one run on the
 * same data, one thread each. Rounds alternate between the two so that both see the same machine state; the best
 * round of each is reported.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Benchmark quantization against ggml's reference (libggml-base.so through FFM), one thread each.")
public final class BenchQuantizeCommand implements Runnable {
    @Option(names = "--types", split = ",", description = "Types to measure (default: all QuantHub writes).")
    List<String> types;

    @Option(names = "--mb", defaultValue = "32", description = "Megabytes of F32 input per round (default: ${DEFAULT-VALUE}).")
    int megabytes;

    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds per implementation (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--row", defaultValue = "3072", description = "Row length (default: ${DEFAULT-VALUE}, Flux's hidden size).")
    int rowLength;

    @Option(names = "--imatrix", description = "Quantize with an importance matrix (the weighted code paths).")
    boolean imatrix;

    @Option(names = "--ggml-lib", description = "Path to libggml-base.so (default: -Dggml.lib, QUANTHUB_GGML_LIB or .cache/ggml).")
    Path ggmlLib;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** One row of the result table. */
    record Result(GgmlType type, double oursMBps, double ggmlMBps) {
        double ratio() {
            return oursMBps / ggmlMBps;
        }
    }

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        GgmlLibrary ggml = ggmlLib != null ? GgmlLibrary.load(ggmlLib) : GgmlLibrary.load();
        List<GgmlType> selected = types == null ? Quants.supported()
                : types.stream().map(t -> GgmlType.byName(t).orElseThrow(
                        () -> new IllegalArgumentException("unknown type " + t + "; supported: " + Quants.supported()))).toList();
        int rows = Math.max(1, (int) ((long) megabytes * 1024 * 1024 / 4 / rowLength));
        float[] data = gaussian(rows * rowLength, 1234);
        float[] weights = imatrix ? positive(rowLength, 99) : null;

        out.printf(Locale.ROOT, "quantize %d x %d floats (%.1f MB F32), %s, best of %d rounds, 1 thread each%n",
                rows, rowLength, rows * (double) rowLength * 4 / 1e6, imatrix ? "with imatrix" : "no imatrix", rounds);
        out.printf(Locale.ROOT, "%-8s %12s %12s %8s%n", "type", "ours MB/s", "ggml MB/s", "ratio");
        for (GgmlType type : selected) {
            if (type.blockSize > 1 && rowLength % type.blockSize != 0) continue;
            Result r = measure(ggml, type, data, rows, weights);
            out.printf(Locale.ROOT, "%-8s %12.1f %12.1f %7.2fx%n", type, r.oursMBps(), r.ggmlMBps(), r.ratio());
            out.flush();
        }
    }

    private Result measure(GgmlLibrary ggml, GgmlType type, float[] data, int rows, float[] weights) {
        QuantFormat ours = Quants.of(type);
        long outBytes = type.rowBytes(rowLength) * rows;
        byte[] ourOut = new byte[Math.toIntExact(outBytes)];
        double inputMB = data.length * 4.0 / 1e6;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(JAVA_FLOAT, data);
            MemorySegment dst = arena.allocate(outBytes, 64);
            MemorySegment im = weights == null ? MemorySegment.NULL : arena.allocateFrom(JAVA_FLOAT, weights);
            ggml.quantizeInit(type);
            // Warm-up: lets the JIT compile our kernels before timing (ggml is compiled ahead of time).
            for (int i = 0; i < 3; i++) ours.quantize(data, 0, ourOut, 0, rows, rowLength, weights);
            ggml.quantizeNative(type, src, dst, rows, rowLength, im);
            double bestOurs = Double.MAX_VALUE;
            double bestGgml = Double.MAX_VALUE;
            for (int round = 0; round < rounds; round++) {
                long t0 = System.nanoTime();
                ours.quantize(data, 0, ourOut, 0, rows, rowLength, weights);
                long t1 = System.nanoTime();
                ggml.quantizeNative(type, src, dst, rows, rowLength, im);
                long t2 = System.nanoTime();
                bestOurs = Math.min(bestOurs, (t1 - t0) / 1e9);
                bestGgml = Math.min(bestGgml, (t2 - t1) / 1e9);
            }
            // The benchmark is also a check: a fast wrong answer is worthless.
            byte[] reference = dst.asSlice(0, outBytes).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            if (!Arrays.equals(reference, ourOut)) {
                throw new IllegalStateException(type + ": our bytes differ from ggml's on the benchmark data");
            }
            return new Result(type, inputMB / bestOurs, inputMB / bestGgml);
        }
    }

    private static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double u = 1 - r.nextDouble();
            x[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble()) * 0.02);
        }
        return x;
    }

    private static float[] positive(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) r.nextDouble();
        return w;
    }
}
