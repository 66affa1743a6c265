package io.quanthub.bench;

import io.quanthub.gguf.convert.ConversionException;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.reference.GgmlCpu;
import io.quanthub.gguf.reference.GgmlLibrary;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.synthetic.FluxShape;
import io.quanthub.gguf.synthetic.SyntheticModel;
import io.quanthub.inference.compute.BackendWeight;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.ForwardingBackend;
import io.quanthub.inference.compute.Tensor;
import io.quanthub.inference.compute.Backends;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.flux.FluxInputs;
import io.quanthub.inference.flux.FluxModel;
import io.quanthub.inference.model.ModelWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code quanthub bench flux-steps}: whole Flux transformer calls (one denoising step each) per second on a mid-size
 * synthetic Flux model converted to GGUF, with the time split into matrix multiplies, attention and the rest. There
 * is no whole-step reference to run beside it, so the only ratio it claims is the matmul one: every matmul of a step,
 * re-run side by side with ggml's CPU backend on the same mapped weights (see {@link BenchMatmulCommand}).
 */
@Command(name = "flux-steps", mixinStandardHelpOptions = true,
        description = "Flux transformer steps per second on a synthetic mid-size model, with ggml's matmul beside ours.")
public final class BenchFluxStepsCommand implements Runnable {
    @Option(names = "--hidden", defaultValue = "1024", description = "Hidden size, a multiple of 128 (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--double-blocks", defaultValue = "2", description = "Double blocks (default: ${DEFAULT-VALUE}).")
    int doubleBlocks;

    @Option(names = "--single-blocks", defaultValue = "4", description = "Single blocks (default: ${DEFAULT-VALUE}).")
    int singleBlocks;

    @Option(names = "--context", defaultValue = "1024", description = "Text embedding width, the input of txt_in (default: ${DEFAULT-VALUE}).")
    int contextWidth;

    @Option(names = "--txt-tokens", defaultValue = "256", description = "Text tokens (default: ${DEFAULT-VALUE}).")
    int txtTokens;

    @Option(names = "--sizes", split = ",", defaultValue = "256,512",
            description = "Square image sizes in pixels, multiples of 16: (size/16)^2 image tokens (default: ${DEFAULT-VALUE}).")
    List<Integer> sizes;

    @Option(names = "--quant", split = ",", defaultValue = "Q8_0,Q4_K_M", description = "Levels to convert to (default: ${DEFAULT-VALUE}).")
    List<String> levels;

    @Option(names = "--steps", defaultValue = "2", description = "Timed steps per size after one warm-up (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--dir", description = "Folder for the model files, deleted afterwards (default: the system temp folder).")
    Path dir;

    @Option(names = "--ggml-lib", description = "Path to libggml-base.so (default: -Dggml.lib, QUANTHUB_GGML_LIB or .cache/ggml).")
    Path ggmlLib;

    @Option(names = "--no-ggml", description = "Skip the matmul re-run beside ggml (always skipped off the CPU "
            + "backend), e.g. on a machine without ggml's library.")
    boolean noGgml;

    @Mixin
    BenchBackendOption backend;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        List<QuantLevel> parsedLevels = levels.stream().map(this::parseLevel).toList();
        if (steps < 1) throw new ParameterException(spec.commandLine(), "--steps must be at least 1, not " + steps);
        for (int size : sizes) {
            if (size < 16 || size % 16 != 0) {
                throw new ParameterException(spec.commandLine(), "--sizes: expected multiples of 16 pixels, not " + size);
            }
        }
        if (txtTokens < 1) throw new ParameterException(spec.commandLine(), "--txt-tokens must be positive");
        FluxShape shape;
        try {
            shape = new FluxShape(hidden, doubleBlocks, singleBlocks, contextWidth, 768);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        var backends = backend.factory(); // a backend this build cannot run fails before the model is made
        PrintWriter out = spec.commandLine().getOut();
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        // The re-run compares the CPU backend's matmul with ggml's: nothing to compare on another backend.
        GgmlCpu ggml = noGgml || !backend.isCpu() ? null
                : GgmlCpu.load(ggmlLib != null ? GgmlLibrary.load(ggmlLib) : GgmlLibrary.load());
        int threads = BenchMatmulCommand.threads();
        Path work = null;
        try {
            work = Files.createTempDirectory(dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir")),
                    "quanthub-bench-flux-");
            Path source = work.resolve("synthetic-flux.safetensors");
            SyntheticModel.write(source, shape.tensors(Dtype.BF16), 42);
            out.println("model: synthetic " + shape.description() + ", BF16 safetensors converted with Converter");
            out.println(BenchSupport.machineLine(load));
            out.println(Backends.describe(backends.get()));
            out.printf(Locale.ROOT, "threads: %d (ours and ggml's %s); %d timed steps after a warm-up; txt tokens %d%n",
                    threads, ggml == null ? "-" : ggml.libraryName(), steps, txtTokens);
            out.println("split (--backend cpu only): matmul and attention are the backend calls' wall time, rest is "
                    + "everything else of the step; matmul ours/ggml re-runs every matmul of one step on both sides (same mapped weights, "
                    + "same threads, best of 2 alternating rounds; with --backend cpu only)");
            out.println();
            out.printf(Locale.ROOT, "%-7s %-8s %9s %8s %8s %7s %7s %6s %10s %10s %9s%n", "level", "image", "tokens",
                    "s/step", "steps/s", "matmul", "attn", "rest", "mm ours s", "mm ggml s", "ours/ggml");
            for (QuantLevel level : parsedLevels) {
                Path gguf = work.resolve("synthetic-flux-" + level + ".gguf");
                new Converter(threads, false).convert(source, level, gguf, Converter.ProgressListener.NONE);
                try (ModelWeights weights = ModelWeights.open(gguf)) {
                    for (int size : sizes) {
                        Row row = measure(weights, size, backends.get(), ggml, threads);
                        String rerun = Double.isNaN(row.matmulOurs) ? String.format("%10s %10s %9s", "-", "-", "-")
                                : String.format(Locale.ROOT, "%10.2f %10.2f %8.2fx", row.matmulOurs, row.matmulGgml,
                                        row.matmulGgml / row.matmulOurs);
                        // A device backend records its calls and runs them later as task graphs: their wall
                        // times split nothing there.
                        String split = !backend.isCpu() ? String.format("%7s %7s %6s", "-", "-", "-")
                                : String.format(Locale.ROOT, "%6.0f%% %6.0f%% %5.0f%%",
                                        100 * row.matmul / row.secondsPerStep, 100 * row.attention / row.secondsPerStep,
                                        100 * (row.secondsPerStep - row.matmul - row.attention) / row.secondsPerStep);
                        out.printf(Locale.ROOT, "%-7s %-8s %9s %8.2f %8.3f %s %s%n", level, size + "x" + size,
                                row.imgTokens + "+" + txtTokens, row.secondsPerStep, 1 / row.secondsPerStep, split,
                                rerun);
                        out.flush();
                    }
                }
                Files.delete(gguf);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (work != null) BenchSupport.deleteTree(work);
        }
    }

    /** One line of the report: seconds per step, its matmul and attention seconds, and the matmul re-run. */
    private record Row(int imgTokens, double secondsPerStep, double matmul, double attention, double matmulOurs,
                       double matmulGgml) {
    }

    /** One size on {@code compute}; the matmul re-run beside ggml only with {@code ggml} (the CPU backend's). */
    private Row measure(ModelWeights weights, int size, ComputeBackend compute, GgmlCpu ggml, int threads) {
        int side = size / 16;
        int imgTokens = side * side;
        TimedBackend backend = new TimedBackend(compute);
        FluxModel flux = new FluxModel(weights, backend);
        FluxInputs in = inputs(flux, side);
        flux.forward(in); // warm-up: JIT, page-in of the mapped weights
        double best = Double.MAX_VALUE;
        double matmul = 0;
        double attention = 0;
        for (int i = 0; i < steps; i++) {
            backend.reset();
            long t0 = System.nanoTime();
            flux.forward(in);
            double seconds = BenchSupport.seconds(t0);
            if (seconds < best) {
                best = seconds;
                matmul = backend.matmulNanos / 1e9;
                attention = backend.attentionNanos / 1e9;
            }
        }
        if (ggml == null) return new Row(imgTokens, best, matmul, attention, Double.NaN, Double.NaN);
        // Every matmul of the last step, once per distinct (weight, tokens), weighted by how often the step ran it.
        double ours = 0;
        double reference = 0;
        for (Map.Entry<Call, Integer> e : backend.calls.entrySet()) {
            Call c = e.getKey();
            Weight w = c.weight();
            BenchMatmulCommand.Result r = BenchMatmulCommand.measure(ggml, w.type(), w.data(), w.rows(), w.cols(),
                    c.tokens(), 2, threads);
            ours += r.oursSeconds() * e.getValue();
            reference += r.ggmlSeconds() * e.getValue();
        }
        return new Row(imgTokens, best, matmul, attention, ours, reference);
    }

    /** Gaussian latent and text, a square grid of image positions, text positions zero (as in text-to-image). */
    private FluxInputs inputs(FluxModel flux, int side) {
        var c = flux.config();
        int imgTokens = side * side;
        float[] imgIds = new float[imgTokens * 3];
        for (int r = 0; r < side; r++) {
            for (int col = 0; col < side; col++) {
                imgIds[(r * side + col) * 3 + 1] = r;
                imgIds[(r * side + col) * 3 + 2] = col;
            }
        }
        return new FluxInputs(BenchMatmulCommand.gaussian((long) imgTokens * c.inChannels(), 1.0, 1), imgTokens,
                imgIds, BenchMatmulCommand.gaussian((long) txtTokens * c.contextInDim(), 1.0, 2), txtTokens,
                new float[txtTokens * 3], BenchMatmulCommand.gaussian(c.vecInDim(), 1.0, 3), 0.5f, 3.5f);
    }

    private QuantLevel parseLevel(String name) {
        try {
            return QuantLevel.parse(name.strip());
        } catch (ConversionException e) {
            throw new ParameterException(spec.commandLine(), "--quant: " + e.getMessage());
        }
    }

    /** A matmul as a step runs it: which weight, how many tokens. */
    private record Call(Weight weight, int tokens) {
    }

    /**
     * A backend with a stopwatch on matmul and attention, and a tally of the matmuls a step runs. Calls come
     * from one thread (the model's), each op parallel inside, so wall times add up.
     */
    private static final class TimedBackend extends ForwardingBackend {
        long matmulNanos;
        long attentionNanos;
        final Map<Call, Integer> calls = new LinkedHashMap<>();

        TimedBackend(ComputeBackend cpu) {
            super(cpu);
        }

        void reset() {
            matmulNanos = 0;
            attentionNanos = 0;
            calls.clear();
        }

        @Override
        public Tensor matmul(Tensor x, BackendWeight w, Tensor bias) {
            long t0 = System.nanoTime();
            Tensor out = delegate.matmul(x, w, bias);
            matmulNanos += System.nanoTime() - t0;
            calls.merge(new Call(w.source(), x.rows()), 1, Integer::sum);
            return out;
        }

        @Override
        public Tensor attention(Tensor q, Tensor k, Tensor v, int heads) {
            long t0 = System.nanoTime();
            Tensor out = delegate.attention(q, k, v, heads);
            attentionNanos += System.nanoTime() - t0;
            return out;
        }
    }
}
