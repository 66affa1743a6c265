package io.quanthub.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/** What the benchmarks share: the machine line of their reports, the free-space check, timing helpers. */
final class BenchSupport {
    private BenchSupport() {
    }

    /**
     * "machine: CPU, cores, Java, load average": {@code loadAtStart} is the system load average taken when the
     * benchmark started (negative when unknown).
     */
    static String machineLine(double loadAtStart) {
        return String.format(Locale.ROOT, "machine: %s, %d cores available to the JVM, Java %s, load average %s at "
                        + "the start (other processes compete for the cores when it is not near 0)", cpuModel(),
                Runtime.getRuntime().availableProcessors(), Runtime.version(),
                loadAtStart < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", loadAtStart));
    }

    /** The CPU's name from /proc/cpuinfo (Linux), or the architecture elsewhere. */
    static String cpuModel() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(System.getProperty("os.arch"));
        } catch (IOException | UncheckedIOException e) {
            return System.getProperty("os.arch");
        }
    }

    /** Fails with a one-line message unless {@code dir}'s file system has {@code needed} bytes free. */
    static void requireSpace(Path dir, long needed, String what) throws IOException {
        long usable = Files.getFileStore(dir).getUsableSpace();
        if (usable < needed) {
            throw new IOException(String.format(Locale.ROOT, "not enough space in %s for %s: the benchmark needs "
                    + "%.1f GB more, %.1f GB are free (use --dir or a smaller --size-mb)", dir, what, needed / 1e9,
                    usable / 1e9));
        }
    }

    /** Deletes a benchmark's work folder and everything in it. */
    static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The median (the mean of the middle two for an even count); {@code values} must not be empty. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
