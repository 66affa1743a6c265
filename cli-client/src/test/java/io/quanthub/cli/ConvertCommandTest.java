package io.quanthub.cli;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.GgufValue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code quanthub convert} run in-process on real files. */
class ConvertCommandTest {
    @TempDir
    Path dir;

    private Path model;
    private StringWriter out;
    private StringWriter err;

    @BeforeEach
    void copyTestModel() throws IOException {
        Path src = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
                "flux-tiny", "model.safetensors");
        assumeTrue(Files.isRegularFile(src), "test data not found at " + src);
        model = Files.copy(src, dir.resolve("flux-tiny.safetensors"));
    }

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cli = QuantHubCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void createsTheOutputFolder() {
        Path output = dir.resolve("models/flux/tiny-Q4_0.gguf");
        assertEquals(0, run("convert", model.toString(), "--quant", "Q4_0", "--out", output.toString()), err.toString());
        assertTrue(Files.isRegularFile(output));
    }

    @Test
    void fileSystemErrorsReadAsSentences() {
        assertEquals("no such file or directory: /x/y",
                QuantHubCli.describe(new java.nio.file.NoSuchFileException("/x/y")));
        assertEquals("permission denied: /x", QuantHubCli.describe(new java.nio.file.AccessDeniedException("/x")));
        assertEquals("out: output exists (use --force to replace it)", QuantHubCli.describe(
                new java.nio.file.FileAlreadyExistsException("out", null, "output exists (use --force to replace it)")));
    }

    @Test
    void convertsWithTheDefaultNameAndPrintsASummary() throws IOException {
        assertEquals(0, run("convert", model.toString(), "--quant", "q8_0", "--threads", "2"), err.toString());
        Path expected = dir.resolve("flux-tiny-Q8_0.gguf");
        assertTrue(Files.isRegularFile(expected), list(dir).toString());
        String summary = out.toString();
        assertTrue(summary.contains("wrote " + expected), summary);
        assertTrue(summary.contains("flux, Q8_0, 84 tensors") && summary.contains("8.50 bits per weight"), summary);
        assertTrue(summary.contains("Q8_0") && summary.contains("F32") && summary.contains("BF16"), summary);
        try (GgufFile f = GgufFile.open(expected)) {
            assertEquals(new GgufValue.Str("flux"), f.metadata().get("general.architecture"));
            assertEquals(GgmlType.Q8_0, f.tensor("double_blocks.0.img_attn.qkv.weight").type());
        }
        // Not a terminal and a short job: no progress lines, just the header line.
        assertEquals(1, err.toString().lines().count(), err.toString());
    }

    @Test
    void convertsAT5EncoderWithItsTokenizerLikeLlamaCpp() throws IOException {
        Path data = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"), "text-encoders-tiny");
        Path t5 = Files.copy(data.resolve("t5.safetensors"), dir.resolve("t5.safetensors"));
        Path output = dir.resolve("t5-F32.gguf");
        // No tokenizer next to the copy: a one-line error that says what is missing, and no output.
        assertEquals(1, run("convert", t5.toString(), "-q", "F32", "-o", output.toString()));
        assertOneLineError("a T5 encoder needs its tokenizer");
        assertTrue(Files.notExists(output));

        assertEquals(0, run("convert", t5.toString(), "-q", "F32", "-o", output.toString(),
                "--tokenizer", data.resolve("t5_tokenizer/tokenizer.json").toString(),
                "--name", "t5-v1_1-tiny-random-shared"), err.toString());
        assertTrue(out.toString().contains("t5encoder, F32, 21 tensors"), out.toString());
        assertEquals(-1, Files.mismatch(data.resolve("t5.gguf"), output));
    }

    @Test
    void progressBarOnRequest() {
        assertEquals(0, run("convert", model.toString(), "-q", "Q4_0", "-o", dir.resolve("x.gguf").toString(),
                "--progress"), err.toString());
        assertTrue(err.toString().contains("\rconvert [") && err.toString().contains("tensors 84/84"), err.toString());
    }

    @Test
    void refusesToOverwriteWithoutForce() throws IOException {
        Path target = Files.writeString(dir.resolve("out.gguf"), "keep me");
        assertEquals(1, run("convert", model.toString(), "-q", "Q8_0", "--out", target.toString()));
        assertOneLineError("--force");
        assertEquals("keep me", Files.readString(target));
        assertEquals(0, run("convert", model.toString(), "-q", "Q8_0", "--out", target.toString(), "--force"));
        assertTrue(Files.size(target) > 1000);
    }

    @Test
    void unknownTypeListsTheValidOnes() {
        assertEquals(1, run("convert", model.toString(), "--quant", "Q9_K"));
        assertOneLineError("unknown quantization type 'Q9_K'; valid types: F32, F16, BF16, Q8_0");
        assertEquals(List.of(model), list(dir));
    }

    @Test
    void corruptSourceFailsWithOneLineAndNoOutput() throws IOException {
        // A tensor whose data range lies past the end of the file.
        byte[] json = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[4,4],\"data_offsets\":[0,32]}}"
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json);
        Path bad = Files.write(dir.resolve("bad.safetensors"), file.array());
        assertEquals(1, run("convert", bad.toString(), "-q", "Q8_0"));
        assertOneLineError("data_offsets");
        assertEquals(List.of(bad, model), list(dir).stream().sorted().toList());
    }

    @Test
    void unknownArchitectureIsAClearError() throws IOException {
        byte[] json = "{\"encoder.w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json);
        Path other = Files.write(dir.resolve("other.safetensors"), file.array());
        assertEquals(1, run("convert", other.toString(), "-q", "Q8_0"));
        assertOneLineError("unknown model architecture");
    }

    private void assertOneLineError(String fragment) {
        String e = err.toString();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("quanthub: ") && e.contains(fragment), e);
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
