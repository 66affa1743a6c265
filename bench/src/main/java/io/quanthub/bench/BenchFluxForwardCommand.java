package io.quanthub.bench;

import io.quanthub.gguf.convert.ConversionException;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.gguf.synthetic.FluxShape;
import io.quanthub.gguf.synthetic.SyntheticModel;
import io.quanthub.inference.compute.Backends;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.flux.FluxInputs;
import io.quanthub.inference.flux.FluxModel;
import io.quanthub.inference.model.FloatTensor;
import io.quanthub.inference.model.ModelWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code quanthub bench flux-forward}: whole Flux transformer calls at Flux's width (hidden 3072, 24 heads) on a
 * synthetic model, side by side with a PyTorch re-implementation of black-forest-labs/flux's forward
 * ({@code flux_reference.py}, shipped with this command) on the same weights, dequantized to F32, and the same inputs.
 * It reports both times, their ratio and the relative L2 distance between the outputs; and for QuantHub every call's
 * time and the process's resident memory after it, so a second call slower than the first or memory that grows per
 * call shows.
 */
@Command(name = "flux-forward", mixinStandardHelpOptions = true,
        description = "Flux transformer calls at Flux width vs BFL's forward in PyTorch (when python3 has torch).")
public final class BenchFluxForwardCommand implements Runnable {
    @Option(names = "--hidden", defaultValue = "3072", description = "Hidden size, a multiple of 128 (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--double-blocks", defaultValue = "1", description = "Double blocks (default: ${DEFAULT-VALUE}).")
    int doubleBlocks;

    @Option(names = "--single-blocks", defaultValue = "1", description = "Single blocks (default: ${DEFAULT-VALUE}).")
    int singleBlocks;

    @Option(names = "--context", defaultValue = "4096", description = "Text embedding width, the input of txt_in (default: ${DEFAULT-VALUE}).")
    int contextWidth;

    @Option(names = "--txt-tokens", defaultValue = "512", description = "Text tokens (default: ${DEFAULT-VALUE}).")
    int txtTokens;

    @Option(names = "--img-tokens", split = ",", defaultValue = "1024,4096",
            description = "Image tokens, squares (1024 = 512x512 pixels) (default: ${DEFAULT-VALUE}).")
    List<Integer> imgTokens;

    @Option(names = "--quant", split = ",", defaultValue = "BF16,Q8_0,Q4_K_M", description = "Weight types (default: ${DEFAULT-VALUE}).")
    List<String> levels;

    @Option(names = "--calls", defaultValue = "3", description = "QuantHub calls per size, each timed (default: ${DEFAULT-VALUE}).")
    int calls;

    @Option(names = "--torch-calls", defaultValue = "2", description = "PyTorch calls per size; the best counts (default: ${DEFAULT-VALUE}).")
    int torchCalls;

    @Option(names = "--torch-float64", description = "Also run PyTorch once in float64 and report both float32 results' "
            + "distance from it (how much of their difference is rounding either side).")
    boolean float64;

    @Option(names = "--python", description = "Python with torch; 'none' skips PyTorch (default: python3, else "
            + "/usr/bin/python3, where Debian's python3-torch lives, when python3 on the PATH has no torch).")
    String python;

    @Option(names = "--dir", description = "Folder for the model files, deleted afterwards (default: the system temp folder).")
    Path dir;

    @Mixin
    BenchBackendOption backend;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        List<QuantLevel> parsedLevels = levels.stream().map(this::parseLevel).toList();
        if (calls < 1 || torchCalls < 1) throw new ParameterException(spec.commandLine(), "--calls and --torch-calls must be at least 1");
        for (int n : imgTokens) {
            int side = (int) Math.round(Math.sqrt(n));
            if (n < 1 || side * side != n) {
                throw new ParameterException(spec.commandLine(), "--img-tokens: expected square numbers, not " + n);
            }
        }
        if (txtTokens < 1) throw new ParameterException(spec.commandLine(), "--txt-tokens must be positive");
        FluxShape shape;
        try {
            shape = new FluxShape(hidden, doubleBlocks, singleBlocks, contextWidth, 768);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        backend.factory(); // a backend this build cannot run fails before the model is made
        PrintWriter out = spec.commandLine().getOut();
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int threads = BenchMatmulCommand.threads();
        Path work = null;
        try {
            work = Files.createTempDirectory(dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir")),
                    "quanthub-bench-forward-");
            TorchReference torch = null;
            if (!"none".equals(python)) {
                for (String candidate : python != null ? List.of(python) : List.of("python3", "/usr/bin/python3")) {
                    torch = TorchReference.find(candidate, work, threads);
                    if (torch != null) break;
                }
            }
            Path source = work.resolve("synthetic-flux.safetensors");
            SyntheticModel.write(source, shape.tensors(Dtype.BF16), 42);
            out.println("model: synthetic " + shape.description() + ", BF16 safetensors; GGUF levels converted with Converter");
            out.println(BenchSupport.machineLine(load));
            out.println(Backends.describe(backend.factory().get()));
            // The bound on both sides: no float32 engine on these threads multiplies faster than this.
            double peak = FmaPeak.gflops(threads, 5);
            out.printf(Locale.ROOT, "FMA peak: %.0f GFLOP/s float32 on %d threads (measured now, FmaPeak); a side at "
                    + "x%% of it cannot run more than 100/x times faster%n", peak, threads);
            out.printf(Locale.ROOT, "threads: %d on both sides; txt tokens %d; QuantHub: %d calls in one process, each "
                    + "timed, RSS after each; %s%n", threads, txtTokens, calls, torch == null
                    ? "PyTorch: not run (" + ("none".equals(python) ? "--python none" : "no python with torch found") + ")"
                    : "PyTorch " + torch.version() + ": BFL's forward (flux_reference.py) in F32 on the dequantized "
                    + "weights, best of " + torchCalls + " calls");
            out.println();
            out.println("wall s and cpu s (process CPU time, all threads) per QuantHub call; RSS after each call; "
                    + "torch: best wall s and its cpu s; wall x = torch's best wall time over QuantHub's, cpu x the same "
                    + "for CPU time (steadier on a shared machine); QH pk, torch pk: each side's best call in GFLOP/s as a share of "
                    + "the FMA peak; rel L2 = |QH - torch| / |torch|"
                    + (float64 ? "; QH-f64, torch-f64: each float32 result's rel L2 from torch in float64" : ""));
            out.printf(Locale.ROOT, "%-7s %9s %-20s %-20s %-14s %-13s %6s %6s %6s %8s %8s%s%n", "level", "tokens",
                    "wall s", "cpu s", "RSS GiB", "torch s", "wall x", "cpu x", "QH pk", "torch pk", "rel L2", float64 ? "   QH-f64 torch-f64" : "");
            for (QuantLevel level : parsedLevels) {
                Path model = source;
                if (level != QuantLevel.BF16) {
                    model = work.resolve("synthetic-flux-" + level + ".gguf");
                    new Converter(threads, false).convert(source, level, model, Converter.ProgressListener.NONE);
                }
                Path dequantized = null;
                if (torch != null) {
                    dequantized = work.resolve("dequantized-" + level + ".safetensors");
                    writeDequantized(model, dequantized);
                }
                for (int n : imgTokens) {
                    FluxInputs in = inputs(shape, n);
                    Path inputsFile = work.resolve("inputs-" + n + ".safetensors");
                    if (!Files.exists(inputsFile)) writeInputs(in, inputsFile);
                    QuantHubRun ours = runQuantHub(model, in);
                    String torchCell = "-";
                    String wallRatio = "-";
                    String cpuRatio = "-";
                    String l2Cell = "-";
                    String torchPeak = "-";
                    String f64Cells = "";
                    double flops = FluxFlops.forward(shape, n, txtTokens);
                    String ourPeak = share(flops, min(ours.seconds()), peak);
                    if (torch != null) {
                        TorchReference.Result ref = torch.run(dequantized, inputsFile, torchCalls, false);
                        torchCell = join(List.of(ref.seconds(), ref.cpuSeconds()));
                        wallRatio = String.format(Locale.ROOT, "%.2fx", ref.seconds() / min(ours.seconds()));
                        cpuRatio = String.format(Locale.ROOT, "%.2fx", ref.cpuSeconds() / min(ours.cpuSeconds()));
                        l2Cell = String.format(Locale.ROOT, "%.1e", relativeL2(ours.output(), ref.output()));
                        torchPeak = share(flops, ref.seconds(), peak);
                        if (float64) {
                            float[] exact = torch.run(dequantized, inputsFile, 1, true).output();
                            f64Cells = String.format(Locale.ROOT, " %8.1e %9.1e", relativeL2(ours.output(), exact),
                                    relativeL2(ref.output(), exact));
                        }
                    }
                    out.printf(Locale.ROOT, "%-7s %9s %-20s %-20s %-14s %-13s %6s %6s %6s %8s %8s%s%n", level,
                            n + "+" + txtTokens, join(ours.seconds()), join(ours.cpuSeconds()), ours.rssGiB(),
                            torchCell, wallRatio, cpuRatio, ourPeak, torchPeak, l2Cell, f64Cells);
                    out.flush();
                }
                if (dequantized != null) Files.delete(dequantized);
                if (model != source) Files.delete(model);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (work != null) BenchSupport.deleteTree(work);
        }
    }

    /** Every call's wall and CPU seconds, the output of the last, RSS after each call ("a/b/c" GiB). */
    private record QuantHubRun(List<Double> seconds, List<Double> cpuSeconds, float[] output, String rssGiB) {
    }

    /** {@code flops} done in {@code seconds} as a percentage of {@code peakGflops}. */
    private static String share(double flops, double seconds, double peakGflops) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * flops / seconds / 1e9 / peakGflops);
    }

    private static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    private static String join(List<Double> values) {
        return String.join("/", values.stream().map(v -> String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.1f", v))
                .toList());
    }

    private QuantHubRun runQuantHub(Path model, FluxInputs in) throws IOException {
        try (ModelWeights weights = ModelWeights.open(model)) {
            FluxModel flux = new FluxModel(weights, backend.factory().get());
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            List<Double> seconds = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            List<String> rss = new ArrayList<>();
            float[] output = null;
            for (int i = 0; i < calls; i++) {
                long c0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                output = flux.forward(in);
                seconds.add(BenchSupport.seconds(t0));
                cpu.add((os.getProcessCpuTime() - c0) / 1e9);
                rss.add(String.format(Locale.ROOT, "%.1f", residentBytes() / (double) (1L << 30)));
            }
            return new QuantHubRun(seconds, cpu, output, String.join("/", rss));
        }
    }

    /** VmRSS of this process (Linux), or -1. */
    static long residentBytes() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/status"))) {
            return lines.filter(l -> l.startsWith("VmRSS:")).map(l -> l.replaceAll("[^0-9]", ""))
                    .mapToLong(kb -> Long.parseLong(kb) * 1024).findFirst().orElse(-1);
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }

    /** Gaussian latent and text, a square grid of image positions, text positions zero (as in text-to-image). */
    private FluxInputs inputs(FluxShape shape, int imgTokens) {
        int side = (int) Math.round(Math.sqrt(imgTokens));
        float[] imgIds = new float[imgTokens * 3];
        for (int r = 0; r < side; r++) {
            for (int col = 0; col < side; col++) {
                imgIds[(r * side + col) * 3 + 1] = r;
                imgIds[(r * side + col) * 3 + 2] = col;
            }
        }
        return new FluxInputs(BenchMatmulCommand.gaussian((long) imgTokens * FluxShape.IN_CHANNELS, 1.0, 1), imgTokens,
                imgIds, BenchMatmulCommand.gaussian((long) txtTokens * shape.contextWidth(), 1.0, 2), txtTokens,
                new float[txtTokens * 3], BenchMatmulCommand.gaussian(shape.vectorWidth(), 1.0, 3), 0.5f, 3.5f);
    }

    /** The inputs under the names of BFL's {@code Flux.forward} arguments (what {@link FluxInputs#readSafetensors} reads). */
    private static void writeInputs(FluxInputs in, Path file) throws IOException {
        new SafetensorsWriter()
                .addF32("img", new long[] {1, in.imgTokens(), in.img().length / in.imgTokens()}, in.img())
                .addF32("img_ids", new long[] {1, in.imgTokens(), 3}, in.imgIds())
                .addF32("txt", new long[] {1, in.txtTokens(), in.txt().length / in.txtTokens()}, in.txt())
                .addF32("txt_ids", new long[] {1, in.txtTokens(), 3}, in.txtIds())
                .addF32("y", new long[] {1, in.y().length}, in.y())
                .addF32("timesteps", new long[] {1}, new float[] {in.timestep()})
                .addF32("guidance", new long[] {1}, new float[] {in.guidance()})
                .write(file);
    }

    /**
     * Every tensor of {@code model} dequantized to F32, as safetensors, streamed tensor by tensor (the whole file
     * can exceed a Java array): the weights PyTorch gets, so both sides compute with the same values.
     */
    private static void writeDequantized(Path model, Path file) throws IOException {
        try (ModelWeights weights = ModelWeights.open(model);
             FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            StringBuilder json = new StringBuilder("{");
            long offset = 0;
            for (Weight w : weights.tensors().values()) {
                long bytes = (long) w.rows() * w.cols() * Float.BYTES;
                if (json.length() > 1) json.append(',');
                json.append('"').append(w.name()).append("\":{\"dtype\":\"F32\",\"shape\":[");
                long[] dims = w.shape();
                for (int i = 0; i < dims.length; i++) json.append(i > 0 ? "," : "").append(dims[i]);
                json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
                offset += bytes;
            }
            json.append('}');
            while ((json.length() + 8) % 8 != 0) json.append(' ');
            byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
            ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(header.length).put(header).flip();
            writeFully(channel, prefix);
            for (Weight w : weights.tensors().values()) {
                int rowsPerChunk = Math.max(1, (1 << 22) / w.cols());
                float[] values = new float[rowsPerChunk * w.cols()];
                ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (int r = 0; r < w.rows(); r += rowsPerChunk) {
                    int count = Math.min(rowsPerChunk, w.rows() - r);
                    w.dequantizeRows(r, count, values);
                    buffer.clear();
                    buffer.asFloatBuffer().put(values, 0, count * w.cols());
                    buffer.limit(count * w.cols() * Float.BYTES);
                    writeFully(channel, buffer);
                }
            }
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) channel.write(buffer);
    }

    static double relativeL2(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new IllegalStateException("outputs of " + actual.length + " and " + expected.length + " values");
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) actual[i] - expected[i];
            diff += d * d;
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }

    private QuantLevel parseLevel(String name) {
        try {
            return QuantLevel.parse(name.strip());
        } catch (ConversionException e) {
            throw new ParameterException(spec.commandLine(), "--quant: " + e.getMessage());
        }
    }

    /**
     * PyTorch running {@code flux_reference.py} (copied out of this jar) in its own process. Debian's torch links the
     * reference BLAS; Debian's OpenBLAS (libopenblas0-pthread), when installed, is put first on its library path, with
     * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment only.
     */
    record TorchReference(String python, Path script, int threads, String version) {
        static final String OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread";

        /** The best call's wall seconds and that call's CPU seconds, and the output. */
        record Result(double seconds, double cpuSeconds, float[] output) {
        }

        /** The reference when {@code python} imports torch, else null. */
        static TorchReference find(String python, Path work, int threads) throws IOException {
            Path script = work.resolve("flux_reference.py");
            try (InputStream in = BenchFluxForwardCommand.class.getResourceAsStream("flux_reference.py")) {
                if (in == null) throw new IllegalStateException("flux_reference.py is missing from the jar");
                Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            TorchReference probe = new TorchReference(python, script, threads, "");
            try {
                List<String> lines = probe.exec(List.of("--version"));
                String version = lines.isEmpty() ? "" : lines.getLast().strip();
                return version.isEmpty() ? null : new TorchReference(python, script, threads, version);
            } catch (IOException | IllegalStateException e) {
                return null;
            }
        }

        Result run(Path weights, Path inputs, int calls, boolean float64) throws IOException {
            Path output = inputs.resolveSibling("torch-out.safetensors");
            List<String> args = new ArrayList<>(List.of("--weights", weights.toString(), "--inputs", inputs.toString(),
                    "--out", output.toString(), "--calls", Integer.toString(calls), "--threads",
                    Integer.toString(threads)));
            if (float64) args.add("--float64");
            List<String> lines = exec(args);
            // "seconds WALL cpu CPU"
            double[] best = lines.stream().filter(l -> l.startsWith("seconds ")).map(l -> l.split(" "))
                    .map(cells -> new double[] {Double.parseDouble(cells[1]), Double.parseDouble(cells[3])})
                    .min(Comparator.comparingDouble(c -> c[0]))
                    .orElseThrow(() -> new IllegalStateException("flux_reference.py printed no time: " + lines));
            float[] values = FloatTensor.readSafetensors(output).get("out").values();
            Files.delete(output);
            return new Result(best[0], best[1], values);
        }

        private List<String> exec(List<String> args) throws IOException {
            List<String> command = new ArrayList<>(List.of(python, script.toString()));
            command.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            if (Files.isDirectory(Path.of(OPENBLAS_DIR))) {
                String old = env.get("LD_LIBRARY_PATH");
                env.put("LD_LIBRARY_PATH", OPENBLAS_DIR + (old == null || old.isEmpty() ? "" : ":" + old));
            }
            env.remove("OPENBLAS_CORETYPE");
            env.remove("OPENBLAS_L2_SIZE");
            env.put("OMP_NUM_THREADS", Integer.toString(threads));
            env.put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
            Process p = pb.start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
                    throw new IllegalStateException("flux_reference.py failed: " + text.strip());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
            return text.lines().toList();
        }
    }
}
