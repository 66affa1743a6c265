package io.quanthub.bench;

import io.quanthub.cli.QuantHubCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code quanthub bench} run in-process: the commands parse, run and print their tables (timings are not checked). */
class BenchCommandTest {
    @TempDir
    Path dir;

    private StringWriter out;
    private StringWriter err;

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cli = QuantHubCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void benchConvertPrintsTheTableAndCleansUp() throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        Path mine = Files.writeString(work.resolve("keep.txt"), "not the benchmark's");
        assertEquals(0, run("bench", "convert", "--size-mb", "1", "--quant", "q8_0,Q4_K_M", "--threads", "1,all",
                "--dir", work.toString()), err.toString());
        String report = out.toString();
        assertTrue(report.contains("source: synthetic Flux hidden 256"), report);
        assertTrue(report.contains("page cache:"), report);
        List<String> table = report.lines().dropWhile(l -> !l.startsWith("level")).toList();
        assertTrue(table.getFirst().contains("convert/copy"), report);
        int cores = Runtime.getRuntime().availableProcessors();
        int conversions = cores == 1 ? 2 : 4;
        assertEquals(1 + 2 + conversions, table.size(), report);
        assertTrue(table.get(1).startsWith("read") && table.get(2).startsWith("copy"), report);
        assertTrue(table.stream().anyMatch(l -> l.matches("Q8_0 +1 .*")), report);
        assertTrue(table.stream().anyMatch(l -> l.matches("Q4_K_M +" + cores + " .*")), report);
        assertEquals(List.of(mine), list(work), "the benchmark's files are deleted, the user's are kept");
    }

    @Test
    void benchHistoryPrintsTheRatiosAndCleansUp() throws IOException {
        Path work = Files.createDirectory(dir.resolve("history"));
        assertEquals(0, run("bench", "history", "--commits", "1,30", "--resolves", "5", "--timed-commits", "3",
                "--dir", work.toString()), err.toString());
        String report = out.toString();
        List<String> table = report.lines().dropWhile(l -> !l.contains("resolve p50 ms")).toList();
        assertTrue(table.get(1).matches(" *1 .* 1\\.00 .* 1\\.00"), report);
        assertTrue(table.get(2).matches(" *30 .*"), report);
        assertTrue(report.contains("worst ratio to 1 commit: "), report);
        assertEquals(List.of(), list(work), "the benchmark's files are deleted");
        assertEquals(1, run("bench", "history", "--commits", "10,5", "--dir", work.toString()));
        assertEquals("quanthub: --commits must be ascending, not [10, 5]", err.toString().strip());
    }

    @Test
    void benchConvertRejectsBadArgumentsBeforeGenerating() throws IOException {
        assertEquals(1, run("bench", "convert", "--size-mb", "1", "--threads", "0", "--dir", dir.toString()));
        assertEquals("quanthub: --threads: expected a positive number or 'all', not '0'", err.toString().strip());
        assertEquals(1, run("bench", "convert", "--size-mb", "1", "--quant", "Q9", "--dir", dir.toString()));
        assertTrue(err.toString().startsWith("quanthub: unknown quantization type 'Q9'"), err.toString());
        assertEquals(List.of(), list(dir));
    }

    @Test
    void benchPullPrintsTheTableAndCleansUp() throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        Path mine = Files.writeString(work.resolve("keep.txt"), "not the benchmark's");
        assertEquals(0, run("bench", "pull", "--size-mb", "1", "--rounds", "2", "--connections", "2",
                "--dir", work.toString()), err.toString());
        String report = out.toString();
        assertTrue(report.startsWith("file: 1.0 MB of random bytes (sha256 "), report);
        assertTrue(report.contains("page cache:"), report);
        assertTrue(report.contains("pull: Puller over the hub into an empty cache, 2 connections"), report);
        List<String> table = report.lines().dropWhile(l -> !l.startsWith("round")).takeWhile(l -> !l.isEmpty())
                .toList();
        assertEquals(List.of("round", "1", "2", "best", "median"),
                table.stream().map(l -> l.split(" +")[0]).toList(), report);
        assertTrue(table.getFirst().matches("round +direct MB/s +pull MB/s +pull/direct"), report);
        assertTrue(table.get(1).matches("1 +[0-9.]+ +[0-9.]+ +[0-9.]+"), report);
        assertTrue(report.contains("goal: pull/direct >= 0.90; best "), report);
        assertEquals(List.of(mine), list(work), "the benchmark's files are deleted, the user's are kept");
    }

    @Test
    void benchPullRejectsBadArgumentsBeforeStarting() throws IOException {
        assertEquals(1, run("bench", "pull", "--size-mb", "1", "--connections", "0", "--dir", dir.toString()));
        assertEquals("quanthub: connections must be 1 to 64, not 0", err.toString().strip());
        assertEquals(1, run("bench", "pull", "--size-mb", "1", "--rounds", "0", "--dir", dir.toString()));
        assertEquals("quanthub: --rounds must be at least 1, not 0", err.toString().strip());
        assertEquals(List.of(), list(dir));
    }

    @Test
    void benchNeedsASubcommand() {
        assertEquals(2, run("bench"));
        assertTrue(err.toString().contains("bench needs a subcommand: quantize, convert, pull, matmul, flux-steps, flux-forward"),
                err.toString());
    }

    @Test
    void benchQuantizeKeepsItsOptions() {
        assertEquals(0, run("bench", "quantize", "--types", "Q8_0", "--mb", "1", "--rounds", "1"), err.toString());
        assertTrue(out.toString().contains("ggml MB/s") && out.toString().lines().anyMatch(l -> l.startsWith("Q8_0")),
                out.toString());
    }

    @Test
    void benchMatmulComparesWithGgmlAndChecksTheProduct() {
        assertEquals(0, run("bench", "matmul", "--types", "F16,Q8_0,Q4_K", "--shapes", "40x256", "--tokens", "3,20",
                "--rounds", "1"), err.toString());
        String report = out.toString();
        assertTrue(report.contains("reference: libggml-cpu-"), report);
        List<String> rows = report.lines().filter(l -> l.matches("(F16|Q8_0|Q4_K) .*")).toList();
        assertEquals(6, rows.size(), report);
        for (String row : rows) {
            // type, tokens, ours GFLOP/s, ggml GFLOP/s, ratio, max rel diff: ggml's 8-bit activations stay within
            // 5e-2 of our F32 product.
            String[] cells = row.trim().split(" +");
            assertEquals(6, cells.length, row);
            assertTrue(Double.parseDouble(cells[5]) < 5e-2, row);
        }
    }

    @Test
    void benchMatmulRejectsBadArguments() {
        assertEquals(2, run("bench", "matmul", "--shapes", "40x100"));
        assertTrue(err.toString().contains("--shapes: expected OUTxIN with IN a multiple of 256, not '40x100'"),
                err.toString());
        assertEquals(2, run("bench", "matmul", "--types", "Q9_9"));
        assertTrue(err.toString().contains("unknown weight type 'Q9_9'"), err.toString());
    }

    @Test
    void benchFluxStepsReportsTheSplitAndCleansUp() throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        assertEquals(0, run("bench", "flux-steps", "--hidden", "128", "--double-blocks", "1", "--single-blocks", "1",
                "--context", "256", "--txt-tokens", "8", "--sizes", "64", "--quant", "Q8_0", "--steps", "1",
                "--dir", work.toString()), err.toString());
        String report = out.toString();
        assertTrue(report.contains("model: synthetic Flux hidden 128, 1 double + 1 single blocks"), report);
        assertTrue(report.lines().anyMatch(l -> l.startsWith("backend: cpu ")), report);
        assertTrue(report.lines().anyMatch(l -> l.matches("Q8_0 +64x64 +16\\+8 .*x")), report);
        assertEquals(List.of(), list(work), "the model files are deleted");
    }

    @Test
    void benchBackendThisBuildLacksIsOneLine() throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        for (String bench : List.of("flux-steps", "flux-forward")) {
            assertEquals(1, run("bench", bench, "--backend", "tornado:0", "--dir", work.toString()), bench);
            assertTrue(err.toString().contains("--backend tornado:0: the TornadoVM backend is not on this class path"),
                    err.toString());
            assertEquals(List.of(), list(work), "nothing made");
        }
    }

    /**
     * A small model through both sides: QuantHub's calls with their RSS, and, where a python with torch is installed
     * (Debian's python3-torch), BFL's forward in PyTorch on the dequantized weights within 1e-5 relative L2.
     */
    @Test
    void benchFluxForwardComparesWithPyTorchAndCleansUp() throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        assertEquals(0, run("bench", "flux-forward", "--hidden", "256", "--context", "256", "--txt-tokens", "16",
                "--img-tokens", "64", "--quant", "BF16,Q4_K_M", "--calls", "2", "--torch-calls", "1",
                "--dir", work.toString()), err.toString());
        String report = out.toString();
        assertTrue(report.contains("model: synthetic Flux hidden 256, 1 double + 1 single blocks"), report);
        List<String> rows = report.lines().filter(l -> l.matches("(BF16|Q4_K_M) +64\\+16 .*")).toList();
        assertEquals(2, rows.size(), report);
        // The roofline: a measured peak, and QuantHub's share of it in every row.
        assertTrue(report.matches("(?s).*FMA peak: [1-9][0-9]* GFLOP/s float32 on \\d+ threads.*"), report);
        for (String row : rows) assertTrue(row.matches(".* [0-9]+% .*"), "share of the peak in " + row);
        if (report.contains("PyTorch: not run")) {
            System.out.println("no python with torch here: the PyTorch side was not checked");
        } else {
            for (String row : rows) {
                String[] cells = row.trim().split(" +");
                assertTrue(Double.parseDouble(cells[cells.length - 1]) < 1e-5, "relative L2 in " + row);
            }
        }
        assertEquals(List.of(), list(work), "the model files are deleted");
    }

    @Test
    void benchFluxForwardRejectsBadArguments() {
        assertEquals(2, run("bench", "flux-forward", "--img-tokens", "1000"));
        assertTrue(err.toString().contains("--img-tokens: expected square numbers, not 1000"), err.toString());
        assertEquals(2, run("bench", "flux-forward", "--calls", "0"));
        assertTrue(err.toString().contains("--calls and --torch-calls must be at least 1"), err.toString());
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
