package io.quanthub.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.hub.api.HubJob;
import io.quanthub.hub.api.Preview;
import io.quanthub.inference.model.FloatTensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import static io.quanthub.cli.RunningCommand.awaitLine;
import static io.quanthub.cli.RunningCommand.errTo;
import static io.quanthub.cli.RunningCommand.pipeOut;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The commands a user runs, on the TornadoVM backend (POCL's CPU OpenCL device here, a GPU where there is one):
 * {@code debug flux-forward} and {@code debug flux-sample --backend tornado} reproduce black-forest-labs/flux's outputs
 * for flux-tiny, a quantized file gives what the CPU backend gives, and a hub's preview is rendered by an inference
 * node running {@code --backend tornado}.
 */
class TornadoCommandsTest {
    private static final Path TINY = Path.of(System.getProperty("quanthub.testdata"), "flux-tiny");

    @Test
    void fluxForwardOnTornadoWritesTheAuthorsOutput(@TempDir Path dir) throws Exception {
        Run run = forward(TINY.resolve("model.safetensors"), dir, "tornado");
        assertTrue(run.err.startsWith("backend: tornado "), run.err);
        assertError(run.tensors.get("out"), reference("forward.safetensors", "out"), 1e-4, "forward");
    }

    @Test
    void fluxSampleOnTornadoWritesTheAuthorsLatentAndImage(@TempDir Path dir) throws Exception {
        Run run = sample(TINY.resolve("model.safetensors"), dir, "tornado");
        assertEquals(1, run.err.lines().filter(l -> l.startsWith("backend: tornado ")).count(), run.err);
        assertError(run.tensors.get("latent"), reference("sample.safetensors", "latent"), 1e-3, "latent");
        assertError(run.tensors.get("image"), reference("sample.safetensors", "image"), 1e-3, "image");
    }

    /**
     * A K-quant GGUF (Q4_K_M mixes Q4_K, Q6_K and F32 tensors): the TornadoVM kernels dequantize as the CPU backend
     * does. (F32 and Q8_0 GGUFs are checked against the authors' outputs in ModelsOnTornadoTest.)
     */
    @Test
    void aKQuantGgufGivesWhatTheCpuBackendGives(@TempDir Path dir) throws Exception {
        for (QuantLevel level : List.of(QuantLevel.Q4_K_M)) {
            Path gguf = dir.resolve("flux-tiny-" + level + ".gguf");
            new Converter(1, false).convert(TINY.resolve("model.safetensors"), level, gguf,
                    Converter.ProgressListener.NONE);
            assertError(forward(gguf, dir, "tornado").tensors.get("out"), forward(gguf, dir, "cpu").tensors.get("out"),
                    1e-4, level + " forward");
            Map<String, FloatTensor> tornado = sample(gguf, dir, "tornado").tensors;
            Map<String, FloatTensor> cpu = sample(gguf, dir, "cpu").tensors;
            assertError(tornado.get("latent"), cpu.get("latent"), 1e-3, level + " latent");
            assertError(tornado.get("image"), cpu.get("image"), 1e-3, level + " image");
        }
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // a hang guard: kernels compile on first use on POCL
    void aHubPreviewIsRenderedByAnInferenceNodeOnTornado(@TempDir Path dir) throws Exception {
        ServeCommand serve = new ServeCommand();
        CommandLine serveCli = new CommandLine(serve);
        BufferedReader hubOut = pipeOut(serveCli);
        StringWriter hubErr = errTo(serveCli);
        ExecutorService commands = Executors.newCachedThreadPool();
        CompletableFuture<Integer> hubExit = CompletableFuture.supplyAsync(() -> serveCli.execute("--port", "0",
                "--cluster-port", "0", "--data", dir.resolve("hub").toString(), "--no-inference", "--demo"),
                commands);
        InferenceNodeCommand node = new InferenceNodeCommand();
        CompletableFuture<Integer> nodeExit = null;
        try {
            String member = awaitLine(hubOut, RunningCommand.CLUSTER, hubErr)
                    .group(1);
            String base = awaitLine(hubOut, RunningCommand.LISTENING, hubErr)
                    .group(1);
            awaitLine(hubOut, Pattern.compile("demo: 3 previews are rendering .*"), hubErr);
            HubClient hub = new HubClient(base, null, HttpClient.newHttpClient());
            String id = hub.requestPreview("demo/flux-demo", null, "Q4_K_M", DemoSetup.PREVIEW).job().id();
            assertEquals(HubJob.State.QUEUED, hub.preview(id).job().state(), "nothing renders in the hub");

            CommandLine nodeCli = new CommandLine(node);
            BufferedReader nodeOut = pipeOut(nodeCli);
            StringWriter nodeErr = errTo(nodeCli);
            nodeExit = CompletableFuture.supplyAsync(() -> nodeCli.execute("--join", member,
                    "--s3-config", dir.resolve("hub").resolve("s3.properties").toString(),
                    "--data", dir.resolve("node").toString(), "--backend", "tornado"), commands);
            String nodeAddress = awaitLine(nodeOut, RunningCommand.NODE, nodeErr).group(1);
            assertNotEquals(member, nodeAddress);
            assertTrue(nodeErr.toString().contains("backend: tornado "), nodeErr.toString());

            Preview done = RunningCommand.awaitDone(hub, id, Duration.ofMinutes(12)); // a hang guard
            assertEquals(nodeAddress, done.node(), "rendered by the TornadoVM node");
            assertTrue(done.psnr() != null, "compared with its reference");
        } finally {
            node.stop();
            if (nodeExit != null) assertEquals(0, nodeExit.get());
            if (serve.server != null) serve.server.close();
            commands.shutdown();
        }
        assertEquals(0, hubExit.get());
    }

    private record Run(Map<String, FloatTensor> tensors, String err) {
    }

    private static Run forward(Path model, Path dir, String backend) throws Exception {
        Path out = Files.createTempFile(dir, "forward", ".safetensors");
        String err = execute("debug", "flux-forward", "--model", model.toString(), "--inputs",
                TINY.resolve("forward.safetensors").toString(), "--out", out.toString(), "--backend", backend);
        return new Run(FloatTensor.readSafetensors(out), err);
    }

    private static Run sample(Path model, Path dir, String backend) throws Exception {
        Path out = Files.createTempFile(dir, "sample", ".safetensors");
        List<String> args = new ArrayList<>(List.of("debug", "flux-sample", "--model", model.toString(),
                "--vae", TINY.resolve("ae.safetensors").toString(),
                "--inputs", TINY.resolve("sample.safetensors").toString(), "--out", out.toString(),
                "--backend", backend));
        String err = execute(args.toArray(String[]::new));
        return new Run(FloatTensor.readSafetensors(out), err);
    }

    /** Runs a command that must succeed; returns its stderr. */
    private static String execute(String... args) {
        Cli run = Cli.run(args);
        assertEquals(0, run.exit(), run.err());
        return run.err();
    }

    private static FloatTensor reference(String file, String tensor) throws IOException {
        return FloatTensor.readSafetensors(TINY.resolve(file)).get(tensor);
    }

    private static void assertError(FloatTensor actual, FloatTensor expected, double bound, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.values().length; i++) {
            diff += Math.pow(actual.values()[i] - expected.values()[i], 2);
            norm += Math.pow(expected.values()[i], 2);
        }
        double error = Math.sqrt(diff / norm);
        assertTrue(error <= bound, what + ": relative L2 error " + error + " > " + bound);
    }




}
