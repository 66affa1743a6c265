package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Dequantize speed of every type, in millions of values per second (best of several rounds over 64 rows of 3072
 * values): from a {@code byte[]}, and from a memory-mapped file (what the inference node's matmul reads) through
 * {@link QuantFormat#dequantize(MemorySegment, long, float[], int, int)}, by whole rows and in the 256-value slices
 * CpuMatmul asks for, next to what CpuMatmul did before the kernels read segments (copy each slice to a
 * {@code byte[]}, dequantize that). Here the same kernels see arrays (heap segments) and a mapping in one JVM, where
 * CpuMatmul's see only the mapping; {@code quanthub bench matmul} measures that case.
 * A plain main, not a test, so no timing is asserted; run it from the project root after {@code mvn -pl gguf
 * test-compile}:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp gguf/target/classes:gguf/target/test-classes \
 *     io.quanthub.gguf.quant.DequantizeSpeed [TYPE,...] [--mapped-only]
 * </pre>
 * {@code --mapped-only} times only the two segment columns, so the kernels see only the mapping, as in the
 * inference node.
 */
public final class DequantizeSpeed {
    private static final int ROWS = 64;
    private static final int COLS = 3072;
    private static final int ROUNDS = 7;
    /** CpuMatmul.KC: the matmul dequantizes rows 256 values at a time. */
    private static final int SLICE = 256;
    private static final long ROUND_NANOS = 200_000_000L;

    private DequantizeSpeed() {
    }

    public static void main(String[] args) throws IOException {
        boolean mappedOnly = List.of(args).contains("--mapped-only");
        List<GgmlType> types = args.length > 0 && !args[0].startsWith("--")
                ? java.util.Arrays.stream(args[0].split(",")).map(t -> GgmlType.byName(t).orElseThrow()).toList()
                : Quants.supported();
        float[] values = QuantTestData.gaussian(new SplittableRandom(1), ROWS * COLS, 1f);
        float[] out = new float[COLS];
        System.out.printf("%-7s %10s %10s %10s %10s   (M values/s, best of %d)%n", "type", "byte[]", "segment",
                "copy+byte[]", "segment", ROUNDS);
        System.out.printf("%-7s %10s %10s %10s %10s%n", "", "rows", "rows", "256-slices", "256-slices");
        Path file = Files.createTempFile("dequantize-speed", ".bin");
        try (Arena arena = Arena.ofShared()) {
            for (GgmlType type : types) {
                QuantFormat format = Quants.of(type);
                byte[] bytes = new byte[Math.toIntExact(ROWS * type.rowBytes(COLS))];
                format.quantize(values, 0, bytes, 0, ROWS, COLS, null);
                Files.write(file, bytes);
                MemorySegment mapped;
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
                }
                int rowBytes = Math.toIntExact(type.rowBytes(COLS));
                int sliceBytes = Math.toIntExact(type.rowBytes(SLICE));
                byte[] scratch = new byte[rowBytes];
                Runnable array = () -> {
                    for (int r = 0; r < ROWS; r++) format.dequantize(bytes, r * rowBytes, out, 0, COLS);
                };
                Runnable segmentRows = () -> {
                    for (int r = 0; r < ROWS; r++) format.dequantize(mapped, (long) r * rowBytes, out, 0, COLS);
                };
                // What CpuMatmul did before: copy a 256-value slice out of the mapping, then dequantize the copy.
                Runnable copySlices = () -> {
                    for (long off = 0; off < bytes.length; off += sliceBytes) {
                        MemorySegment.copy(mapped, ValueLayout.JAVA_BYTE, off, scratch, 0, sliceBytes);
                        format.dequantize(scratch, 0, out, 0, SLICE);
                    }
                };
                Runnable segmentSlices = () -> {
                    for (long off = 0; off < bytes.length; off += sliceBytes) {
                        format.dequantize(mapped, off, out, 0, SLICE);
                    }
                };
                if (mappedOnly) {
                    System.out.printf(Locale.ROOT, "%-7s %10s %10.0f %10s %10.0f%n", type, "-", best(segmentRows), "-",
                            best(segmentSlices));
                } else {
                    System.out.printf(Locale.ROOT, "%-7s %10.0f %10.0f %10.0f %10.0f%n", type, best(array),
                            best(segmentRows), best(copySlices), best(segmentSlices));
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Millions of values per second in the best round, after one untimed round of warm-up. */
    private static double best(Runnable pass) {
        double best = 0;
        for (int round = -1; round < ROUNDS; round++) {
            long passes = 0;
            long start = System.nanoTime();
            long elapsed;
            do {
                pass.run();
                passes++;
                elapsed = System.nanoTime() - start;
            } while (elapsed < ROUND_NANOS);
            if (round >= 0) best = Math.max(best, passes * (double) ROWS * COLS / elapsed * 1e3);
        }
        return best;
    }
}
