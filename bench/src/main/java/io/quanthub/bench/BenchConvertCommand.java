package io.quanthub.bench;

import io.quanthub.cli.PageCache;
import io.quanthub.gguf.convert.ConversionPlan;
import io.quanthub.gguf.convert.ConversionSummary;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.synthetic.FluxShape;
import io.quanthub.gguf.synthetic.SyntheticModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;

import static io.quanthub.bench.BenchSupport.requireSpace;
import static io.quanthub.bench.BenchSupport.seconds;

/**
 * {@code quanthub bench convert}: end-to-end conversion speed against the speed of the disk, in one run. It writes a
 * synthetic Flux-shaped BF16 model, then times two references on it, reading it once and copying it the way the
 * converter writes (stream, fsync), and then the conversion at each level and thread count. The ratio of a
 * conversion's time to the copy's says what limits it: about 1 (or less, as the output is smaller than the source)
 * means the disk, well above 1 means the CPU.
 *
 * <p>The source has just been written, so it is normally in the page cache: copy and conversions then read it from
 * memory, and only their writes (forced to disk) meet the disk. The output says how much of it was cached; the
 * benchmark does not try to drop caches (that needs root and disturbs the machine). The copy is timed again after the
 * conversions, to show how much the disk's speed drifted during the run.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Benchmark end-to-end conversion against copying the same file: generates a Flux-shaped BF16 "
                + "model, times a read and a copy (with fsync) of it, then each conversion; prints seconds, MB/s and "
                + "convert time / copy time (1.0 = as fast as a copy = disk-bound). MB = 10^6 bytes."})
public final class BenchConvertCommand implements Callable<Integer> {
    /** The synthetic model's seed: every run converts the same model. */
    private static final long SEED = 20240801;
    private static final int COPY_BUFFER_BYTES = 1 << 20;

    @Option(names = "--size-mb", defaultValue = "1024", paramLabel = "MIB",
            description = "Size of the generated model in MiB (at least; default: ${DEFAULT-VALUE}).")
    long sizeMiB;

    @Option(names = {"-q", "--quant"}, split = ",", defaultValue = "Q4_K_M,Q8_0", paramLabel = "TYPE",
            description = "Levels to convert to, comma-separated (default: ${DEFAULT-VALUE}).")
    List<String> quants;

    @Option(names = {"-t", "--threads"}, split = ",", defaultValue = "1,all", paramLabel = "N",
            description = "Thread counts, comma-separated; 'all' is every core (default: ${DEFAULT-VALUE}).")
    List<String> threads;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Where to write the model, its copies and the outputs, all kept until the end (default: a "
                    + "temporary directory). Files the benchmark creates are deleted afterwards.")
    Path dir;

    @Spec
    CommandSpec spec;

    /** One timed operation: the references ("read", "copy") have no level and no thread count. */
    record Row(String what, String threads, double seconds, long sourceBytes, long outputBytes) {
        double sourceMBps() {
            return sourceBytes / 1e6 / seconds;
        }

        double outputMBps() {
            return outputBytes / 1e6 / seconds;
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = spec.commandLine().getErr();
        // Check every argument before writing a gigabyte.
        if (sizeMiB < 1) throw new IllegalArgumentException("--size-mb must be at least 1, not " + sizeMiB);
        List<QuantLevel> levels = quants.stream().map(QuantLevel::parse).distinct().toList();
        List<Integer> threadCounts = threadCounts(threads);
        long targetBytes = sizeMiB << 20;

        double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        boolean tempDir = dir == null;
        Path work = tempDir ? Files.createTempDirectory("quanthub-bench-") : Files.createDirectories(dir);
        if (tempDir) work.toFile().deleteOnExit();
        List<Path> created = new ArrayList<>();
        try {
            FluxShape shape = FluxShape.forDataBytes(targetBytes, Dtype.BF16);
            requireSpace(work, 2 * shape.dataBytes(Dtype.BF16), "the model and its copy");
            Path model = track(created, Files.createTempFile(work, "bench-flux-", ".safetensors"));
            String stem = model.getFileName().toString().replace(".safetensors", "");

            log.printf(Locale.ROOT, "generating %s in %s...%n", shape.description(), work);
            log.flush();
            long t0 = System.nanoTime();
            SyntheticModel.write(model, shape.tensors(Dtype.BF16), SEED);
            force(model);
            double generated = seconds(t0);
            long sourceBytes = Files.size(model);
            requireSpace(work, 2 * sourceBytes + outputBytes(model, levels) * threadCounts.size(),
                    "two copies of the model and every output");
            OptionalDouble cached = PageCache.residentFraction(model);
            warmUp(work, stem, levels, threadCounts, created, log);

            // Every file written below is kept until the end: on thin-provisioned disks (most VMs) rewriting blocks
            // just freed by a deleted file is much faster than writing new ones, which would favour later writers.
            List<Row> rows = new ArrayList<>();
            log.println("reference: reading and copying the source...");
            log.flush();
            rows.add(timeRead(model));
            Row copy = timeCopy(model, track(created, work.resolve(stem + "-copy.safetensors")));
            rows.add(copy);
            for (QuantLevel level : levels) {
                for (int n : threadCounts) {
                    log.printf(Locale.ROOT, "converting to %s with %d thread%s...%n", level, n, n == 1 ? "" : "s");
                    log.flush();
                    Path output = track(created, work.resolve(stem + "-" + level + "-t" + n + ".gguf"));
                    long start = System.nanoTime();
                    ConversionSummary summary = new Converter(n, false).convert(model, level, output,
                            Converter.ProgressListener.NONE);
                    rows.add(new Row(level.name(), Integer.toString(n), seconds(start), sourceBytes,
                            summary.fileSize()));
                }
            }
            // The copy again, after the conversions: if the disk's speed drifted, the two copies disagree.
            log.println("reference: copying the source again...");
            log.flush();
            Row copyAfter = timeCopy(model, track(created, work.resolve(stem + "-copy2.safetensors")));

            printReport(out, shape, sourceBytes, generated, loadAtStart, cached, rows, copy, copyAfter);
            return 0;
        } finally {
            for (Path p : created.reversed()) Files.deleteIfExists(p);
            if (tempDir) Files.deleteIfExists(work);
        }
    }

    private static void printReport(PrintWriter out, FluxShape shape, long sourceBytes, double generatedSeconds,
                                    double loadAtStart, OptionalDouble cached, List<Row> rows, Row copy,
                                    Row copyAfter) {
        out.printf(Locale.ROOT, "source: synthetic %s, BF16, %.1f MB, generated in %.1f s%n", shape.description(),
                sourceBytes / 1e6, generatedSeconds);
        out.println(BenchSupport.machineLine(loadAtStart));
        out.printf(Locale.ROOT, "page cache: %s%n", cached.isPresent()
                ? String.format(Locale.ROOT, "%.0f%% of the source was cached before the reads (mincore); reads "
                + "come from %s, writes are forced to disk (fsync)", 100 * cached.getAsDouble(),
                cached.getAsDouble() > 0.9 ? "memory, not the disk" : "the disk where it was not cached")
                : "unknown on this system (the source was just written, so probably cached)");
        out.printf(Locale.ROOT, "reference copy: %.2f s before the conversions, %.2f s after; ratios use the "
                + "first; the JIT was warmed up on a small model first%n", copy.seconds(), copyAfter.seconds());
        out.println();
        out.printf(Locale.ROOT, "%-8s %7s %9s %12s %12s %13s%n",
                "level", "threads", "seconds", "source MB/s", "output MB/s", "convert/copy");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-8s %7s %9.2f %12.1f %12s %13.2f%n", r.what(), r.threads(), r.seconds(),
                    r.sourceMBps(), r.outputBytes() == 0 ? "-" : String.format(Locale.ROOT, "%.1f", r.outputMBps()),
                    r.seconds() / copy.seconds());
        }
        out.flush();
    }

    /**
     * Converts the smallest Flux shape (about 10 MB) once per level and thread count, untimed, so that the timed runs
     * measure compiled code rather than the JIT compiler at work.
     */
    private static void warmUp(Path work, String stem, List<QuantLevel> levels, List<Integer> threadCounts,
                               List<Path> created, PrintWriter log) throws IOException {
        log.println("warming up the JIT on a small model...");
        log.flush();
        Path small = track(created, work.resolve(stem + "-warmup.safetensors"));
        SyntheticModel.writeFlux(small, 1, SEED);
        for (QuantLevel level : levels) {
            for (int n : threadCounts) {
                Path output = track(created, work.resolve(stem + "-warmup-" + level + "-t" + n + ".gguf"));
                new Converter(n, false).convert(small, level, output, Converter.ProgressListener.NONE);
                Files.delete(output);
            }
        }
        Files.delete(small);
    }

    /** Reads the whole file once, sequentially. */
    private static Row timeRead(Path source) throws IOException {
        long start = System.nanoTime();
        long total = 0;
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(COPY_BUFFER_BYTES);
            for (int n; (n = in.read(buffer.clear())) >= 0; ) total += n;
        }
        return new Row("read", "-", seconds(start), total, 0);
    }

    /**
     * Copies the file as the converter writes its output: a stream of 1 MiB writes to a new file, forced to disk at
     * the end.
     */
    private static Row timeCopy(Path source, Path copy) throws IOException {
        long start = System.nanoTime();
        long total = 0;
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(COPY_BUFFER_BYTES);
            while (in.read(buffer.clear()) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) total += out.write(buffer);
            }
            out.force(true);
        }
        return new Row("copy", "-", seconds(start), total, total);
    }

    /** "1,all" to [1, cores]; duplicates dropped. */
    static List<Integer> threadCounts(List<String> values) {
        LinkedHashSet<Integer> counts = new LinkedHashSet<>();
        for (String v : values) {
            String s = v.trim();
            if (s.equalsIgnoreCase("all")) {
                counts.add(Runtime.getRuntime().availableProcessors());
                continue;
            }
            try {
                int n = Integer.parseInt(s);
                if (n < 1) throw new NumberFormatException();
                counts.add(n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--threads: expected a positive number or 'all', not '" + v + "'");
            }
        }
        return List.copyOf(counts);
    }

    /** Bytes of the outputs of one conversion per level, from their plans (which read only the header). */
    private static long outputBytes(Path model, List<QuantLevel> levels) throws IOException {
        long total = 0;
        try (ModelSource source = ModelSource.open(model)) {
            for (QuantLevel level : levels) total += ConversionPlan.of(source, level).layout().fileSize();
        }
        return total;
    }

    /** Flushes the generated model to disk, so that its write-back does not slow down the timed work. */
    private static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Remembers a file to delete afterwards, also on Ctrl-C. */
    private static Path track(List<Path> created, Path file) {
        created.add(file);
        file.toFile().deleteOnExit();
        return file;
    }
}
