package io.quanthub.cli;

import io.quanthub.inference.model.FloatTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code quanthub debug flux-forward} on the flux-tiny model reproduces the authors' output. */
class DebugCommandTest {
    @Test
    void fluxForwardWritesTheAuthorsOutput(@TempDir Path dir) throws Exception {
        Path tiny = Path.of(System.getProperty("quanthub.testdata"), "flux-tiny");
        Path out = dir.resolve("out.safetensors");
        StringWriter err = new StringWriter();
        CommandLine cli = QuantHubCli.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));

        int code = cli.execute("debug", "flux-forward", "--model", tiny.resolve("model.safetensors").toString(),
                "--inputs", tiny.resolve("forward.safetensors").toString(), "--out", out.toString());

        assertEquals(0, code, err.toString());
        FloatTensor actual = FloatTensor.readSafetensors(out).get("out");
        FloatTensor expected = FloatTensor.readSafetensors(tiny.resolve("forward.safetensors")).get("out");
        assertArrayEquals(expected.shape(), actual.shape());
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.values().length; i++) {
            diff += Math.pow(actual.values()[i] - expected.values()[i], 2);
            norm += Math.pow(expected.values()[i], 2);
        }
        assertTrue(Math.sqrt(diff / norm) <= 1e-4, "relative L2 error " + Math.sqrt(diff / norm));
    }

    @Test
    void missingInputTensorIsOneLine(@TempDir Path dir) throws Exception {
        Path tiny = Path.of(System.getProperty("quanthub.testdata"), "flux-tiny");
        StringWriter err = new StringWriter();
        CommandLine cli = QuantHubCli.commandLine();
        cli.setErr(new PrintWriter(err));
        // The model file is not a set of Flux inputs: it has no 'img' tensor.
        int code = cli.execute("debug", "flux-forward", "--model", tiny.resolve("model.safetensors").toString(),
                "--inputs", tiny.resolve("model.safetensors").toString(), "--out", dir.resolve("o").toString());
        assertEquals(1, code);
        assertTrue(err.toString().contains("has no tensor 'img'"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }
}
