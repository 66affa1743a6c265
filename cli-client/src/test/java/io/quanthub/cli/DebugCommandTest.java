package io.quanthub.cli;

import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.model.FloatTensor;
import io.quanthub.inference.model.ModelWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code quanthub debug flux-forward} and {@code flux-sample} on the flux-tiny model reproduce the authors' outputs
 * (forward.safetensors, sample.safetensors), from the BF16 safetensors and from GGUF files made by our converter.
 */
class DebugCommandTest {
    private static final Path TINY = Path.of(System.getProperty("quanthub.testdata"), "flux-tiny");

    @Test
    void fluxForwardWritesTheAuthorsOutput(@TempDir Path dir) throws Exception {
        FloatTensor out = forward(TINY.resolve("model.safetensors"), dir).get("out");
        FloatTensor expected = reference("forward.safetensors", "out");
        assertArrayEquals(expected.shape(), out.shape());
        assertError(out, expected, 1e-4, "forward");
    }

    @Test
    void fluxSampleWritesTheAuthorsLatentAndImage(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("image.png");
        Run run = sample(TINY.resolve("model.safetensors"), dir, "--png", png.toString());
        FloatTensor latent = run.tensors.get("latent");
        FloatTensor image = run.tensors.get("image");
        assertArrayEquals(new long[] {1, 16, 64}, latent.shape());
        assertArrayEquals(new long[] {1, 3, 16, 16}, image.shape());
        assertError(latent, reference("sample.safetensors", "latent"), 1e-3, "latent");
        assertError(image, reference("sample.safetensors", "image"), 1e-3, "image");
        // Progress: one line per step on stderr, then the decode.
        for (int step = 1; step <= 4; step++) assertTrue(run.err.contains("step " + step + "/4"), run.err);
        assertTrue(run.err.contains("decoded in"), run.err);
        // The PNG holds the clamped image, BFL's byte mapping; any reader opens it.
        BufferedImage read = ImageIO.read(png.toFile());
        assertEquals(16, read.getWidth());
        assertEquals(16, read.getHeight());
        float[] planes = image.values();
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                float red = Math.clamp(planes[y * 16 + x], -1f, 1f);
                assertEquals((int) (127.5f * (red + 1f)), read.getRGB(x, y) >> 16 & 0xff, "red at " + x + "," + y);
            }
        }
    }

    /** Both debug checks on converted GGUFs of the unquantized levels, against the authors' outputs. */
    @ParameterizedTest
    @EnumSource(value = QuantLevel.class, names = {"F32", "BF16", "F16"})
    void unquantizedGgufsGiveTheAuthorsOutputs(QuantLevel level, @TempDir Path dir) throws Exception {
        Path gguf = convert(level, dir);
        assertError(forward(gguf, dir).get("out"), reference("forward.safetensors", "out"), 1e-4, level + " forward");
        Map<String, FloatTensor> sampled = sample(gguf, dir).tensors;
        assertError(sampled.get("latent"), reference("sample.safetensors", "latent"), 1e-3, level + " latent");
        assertError(sampled.get("image"), reference("sample.safetensors", "image"), 1e-3, level + " image");
    }

    /**
     * Both debug checks on quantized GGUFs, against the same commands on an F32 copy of the dequantized weights (the
     * authors' math on what the file holds). The distance from the BF16 reference is printed: quantization error.
     */
    @ParameterizedTest
    @EnumSource(value = QuantLevel.class, names = {"Q8_0", "Q4_K_M", "Q4_0"})
    void quantizedGgufsMatchTheirDequantizedWeights(QuantLevel level, @TempDir Path dir) throws Exception {
        Path gguf = convert(level, dir);
        Path dequantized = dequantized(gguf, dir);
        FloatTensor out = forward(gguf, dir).get("out");
        assertError(out, forward(dequantized, dir).get("out"), 1e-4, level + " forward");
        Map<String, FloatTensor> sampled = sample(gguf, dir).tensors;
        Map<String, FloatTensor> reference = sample(dequantized, dir).tensors;
        assertError(sampled.get("latent"), reference.get("latent"), 1e-3, level + " latent");
        assertError(sampled.get("image"), reference.get("image"), 1e-3, level + " image");
        System.out.printf("%s vs the BF16 reference: forward %.3g, latent %.3g, image %.3g%n", level,
                relativeL2(out, reference("forward.safetensors", "out")),
                relativeL2(sampled.get("latent"), reference("sample.safetensors", "latent")),
                relativeL2(sampled.get("image"), reference("sample.safetensors", "image")));
    }

    @Test
    void sayingWhichBackendRanAndRefusingOnesThisBuildLacks(@TempDir Path dir) throws Exception {
        Run run = sample(TINY.resolve("model.safetensors"), dir, "--backend", "cpu");
        assertTrue(run.err.startsWith("backend: cpu "), run.err);
        assertEquals(1, run.err.lines().filter(l -> l.startsWith("backend: ")).count(), run.err);
        String args = "--model " + TINY.resolve("model.safetensors") + " --inputs " + TINY.resolve("forward.safetensors")
                + " --out " + dir.resolve("o");
        String tornado = fails(("debug flux-forward --backend tornado:0 " + args).split(" "));
        assertTrue(tornado.contains("--backend tornado:0: the TornadoVM backend is not on this class path: build its SDK "
                + "with scripts/tornadovm.sh"), tornado);
        String unknown = fails(("debug flux-forward --backend gpu " + args).split(" "));
        assertTrue(unknown.contains("--backend 'gpu' is not a backend: use auto, cpu, tornado[:DEVICE]"), unknown);
        assertFalse(Files.exists(dir.resolve("o")));
    }

    @Test
    void missingInputTensorIsOneLine(@TempDir Path dir) throws Exception {
        // The model file is not a set of Flux inputs: it has no 'img' tensor.
        String err = fails("debug", "flux-forward", "--model", TINY.resolve("model.safetensors").toString(),
                "--inputs", TINY.resolve("model.safetensors").toString(), "--out", dir.resolve("o").toString());
        assertTrue(err.contains("has no tensor 'img'"), err);
    }

    @Test
    void sampleWithoutNoiseIsOneLineAndWritesNothing(@TempDir Path dir) throws Exception {
        // forward.safetensors has txt and y but no noise.
        String err = fails("debug", "flux-sample", "--model", TINY.resolve("model.safetensors").toString(),
                "--vae", TINY.resolve("ae.safetensors").toString(),
                "--inputs", TINY.resolve("forward.safetensors").toString(), "--out", dir.resolve("o").toString());
        assertTrue(err.contains("has no tensor 'noise'"), err);
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void sampleWithTheModelAsVaeIsOneLine(@TempDir Path dir) throws Exception {
        String err = fails("debug", "flux-sample", "--model", TINY.resolve("model.safetensors").toString(),
                "--vae", TINY.resolve("model.safetensors").toString(),
                "--inputs", TINY.resolve("sample.safetensors").toString(), "--out", dir.resolve("o").toString());
        assertTrue(err.contains("model.safetensors is not a VAE decoder"), err);
    }

    @Test
    void zeroStepsIsOneLine(@TempDir Path dir) throws Exception {
        String err = fails("debug", "flux-sample", "--model", TINY.resolve("model.safetensors").toString(),
                "--vae", TINY.resolve("ae.safetensors").toString(), "--steps", "0",
                "--inputs", TINY.resolve("sample.safetensors").toString(), "--out", dir.resolve("o").toString());
        assertTrue(err.contains("steps must be at least 1, got 0"), err);
    }

    private record Run(Map<String, FloatTensor> tensors, String err) {
    }

    private static Map<String, FloatTensor> forward(Path model, Path dir) throws Exception {
        Path out = Files.createTempFile(dir, "forward", ".safetensors");
        execute("debug", "flux-forward", "--model", model.toString(),
                "--inputs", TINY.resolve("forward.safetensors").toString(), "--out", out.toString());
        return FloatTensor.readSafetensors(out);
    }

    private static Run sample(Path model, Path dir, String... moreArgs) throws Exception {
        Path out = Files.createTempFile(dir, "sample", ".safetensors");
        List<String> args = new ArrayList<>(List.of("debug", "flux-sample", "--model", model.toString(),
                "--vae", TINY.resolve("ae.safetensors").toString(),
                "--inputs", TINY.resolve("sample.safetensors").toString(), "--out", out.toString()));
        args.addAll(List.of(moreArgs));
        String err = execute(args.toArray(String[]::new));
        return new Run(FloatTensor.readSafetensors(out), err);
    }

    /** Runs a command that must succeed; returns its stderr. */
    private static String execute(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = QuantHubCli.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        assertEquals(0, code, err.toString());
        return err.toString();
    }

    /** Runs a command that must fail with exit code 1 and a one-line message; returns it. */
    private static String fails(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = QuantHubCli.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute(args), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        return err.toString();
    }

    private static Path convert(QuantLevel level, Path dir) throws IOException {
        Path gguf = dir.resolve("flux-tiny-" + level + ".gguf");
        new Converter(1, false).convert(TINY.resolve("model.safetensors"), level, gguf,
                Converter.ProgressListener.NONE);
        return gguf;
    }

    /** An F32 safetensors copy of every tensor of {@code model}, dequantized. */
    private static Path dequantized(Path model, Path dir) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter();
        try (ModelWeights weights = ModelWeights.open(model)) {
            for (Weight w : weights.tensors().values()) writer.addF32(w.name(), w.shape(), w.toFloats());
        }
        return writer.write(dir.resolve("dequantized.safetensors"));
    }

    private static FloatTensor reference(String file, String tensor) throws IOException {
        return FloatTensor.readSafetensors(TINY.resolve(file)).get(tensor);
    }

    private static void assertError(FloatTensor actual, FloatTensor expected, double bound, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double error = relativeL2(actual, expected);
        assertTrue(error <= bound, what + ": relative L2 error " + error + " > " + bound);
    }

    private static double relativeL2(FloatTensor actual, FloatTensor expected) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.values().length; i++) {
            diff += Math.pow(actual.values()[i] - expected.values()[i], 2);
            norm += Math.pow(expected.values()[i], 2);
        }
        return Math.sqrt(diff / norm);
    }
}
