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

/** {@code quanthub bench cluster} on a tiny model with one real member process (a JVM of its own). */
class BenchClusterCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = QuantHubCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void oneMemberProcessMakesTheSingleProcessBytesAndTheFolderIsDeleted() throws IOException {
        assertEquals(0, run("bench", "cluster", "--size-mb", "2", "--quant", "Q8_0", "--members", "1",
                "--dir", dir.toString()), err.toString());

        String report = out.toString();
        assertTrue(report.contains("every output's digest equals the single-process converter's"), report);
        List<String> table = report.lines().dropWhile(l -> !l.startsWith("run")).toList();
        assertEquals(3, table.size(), report);
        assertTrue(table.get(1).startsWith("single process"), report);
        assertTrue(table.get(2).matches("1 member process x 1 worker +[0-9.]+ +[0-9.]+ +1\\.00 +[0-9.]+"), report);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "the benchmark's folder is deleted");
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeGenerating() {
        assertEquals(1, run("bench", "cluster", "--members", "0", "--dir", dir.toString()));
        assertEquals("quanthub: --members counts must be at least 1, not 0", err.toString().strip());
    }
}
