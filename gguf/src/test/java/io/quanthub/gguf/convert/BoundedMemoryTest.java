package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.reference.GgmlLibrary;
import io.quanthub.gguf.synthetic.FluxShape;
import io.quanthub.gguf.synthetic.SyntheticModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A model larger than 2 GiB converts in a JVM limited to 512 MiB of heap, so memory does not grow with the model;
 * and a conversion stopped by a signal (what Ctrl-C does) leaves no file behind. Runs in every {@code mvn verify};
 * tagged so it can be selected or skipped on purpose ({@code -Dgroups=large} / {@code -DexcludedGroups=large}).
 */
@Tag("large")
class BoundedMemoryTest {
    @TempDir
    Path dir;

    @Test
    void convertsA2GiBModelWith512MiBOfHeapAndCleansUpWhenKilled() throws Exception {
        // Flux at full width (hidden size 3072), 2 double and 3 single blocks: 1.17 G parameters, 2.3 GB BF16.
        Path src = dir.resolve("big.safetensors");
        FluxShape shape = SyntheticModel.writeFlux(src, 2L << 30, 42);
        assertEquals(3072, shape.hiddenSize(), shape.toString());
        assertTrue(Files.size(src) >= 2L << 30, "source is only " + Files.size(src) + " bytes");
        Path outDir = Files.createDirectory(dir.resolve("out"));
        Path out = outDir.resolve("big-Q8_0.gguf");

        // 1. Terminated mid-way (SIGTERM runs the shutdown hooks, like Ctrl-C's SIGINT): nothing is left.
        Process killed = convertInChildJvm(src, out, dir.resolve("killed.log"));
        Path partial = awaitPartialFile(outDir, killed);
        killed.destroy();
        assertTrue(killed.waitFor(60, TimeUnit.SECONDS), "child did not stop");
        assertFalse(Files.exists(partial), "temporary file left behind: " + partial);
        assertEquals(List.of(), list(outDir), "files left after termination");

        // 2. The whole conversion, with -Xmx512m.
        Process full = convertInChildJvm(src, out, dir.resolve("full.log"));
        assertTrue(full.waitFor(30, TimeUnit.MINUTES), "conversion did not finish");
        if (full.exitValue() != 0) fail("child JVM failed:\n" + Files.readString(dir.resolve("full.log")));
        assertEquals(List.of(out), list(outDir));

        try (ModelSource model = ModelSource.open(src); GgufFile gguf = GgufFile.open(out)) {
            ConversionPlan plan = ConversionPlan.of(model, QuantLevel.Q8_0);
            assertEquals(plan.layout().fileSize(), Files.size(out));
            assertEquals(plan.specs(), gguf.tensors().stream().map(TensorInfo::spec).toList());
            // Spot-check the first and last rows of the largest tensor against ggml.
            GgmlLibrary ggml = GgmlLibrary.load();
            TensorPlan t = plan.tensors().stream().filter(p -> p.name().equals("single_blocks.0.linear1.weight"))
                    .findFirst().orElseThrow();
            assertEquals(GgmlType.Q8_0, t.type());
            int rowLength = Math.toIntExact(t.rowLength());
            long rows = t.elementCount() / rowLength;
            long rowBytes = t.type().rowBytes(rowLength);
            for (long firstRow : new long[] {0, rows - 4}) {
                float[] values = new float[4 * rowLength];
                t.source().readFloats(firstRow * rowLength, values, 0, values.length);
                byte[] expected = ggml.quantize(GgmlType.Q8_0, values, 4, rowLength, null);
                byte[] actual = gguf.data(gguf.tensor(t.name())).asSlice(firstRow * rowBytes, 4 * rowBytes)
                        .toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(expected, actual, "rows from " + firstRow);
            }
        }
    }

    /**
     * {@code java -Xmx512m -cp <test class path> ConvertMain src Q8_0 out}, output to a log file. The quantizers use
     * the Vector API, an incubator module that must be added explicitly.
     */
    private static Process convertInChildJvm(Path src, Path out, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx512m", "-XX:+ExitOnOutOfMemoryError",
                "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), ConvertMain.class.getName(),
                src.toString(), "Q8_0", out.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Waits until the child has created its temporary output (it writes the header before any tensor data). */
    private static Path awaitPartialFile(Path outDir, Process child) throws Exception {
        while (child.isAlive()) {
            for (Path p : list(outDir)) {
                if (p.getFileName().toString().endsWith(".partial")) return p;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("child exited (" + child.exitValue() + ") before writing anything");
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
