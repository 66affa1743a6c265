package io.quanthub.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.hub.api.ApiJson;
import io.quanthub.hub.api.Preview;
import io.quanthub.hub.api.PreviewBody;
import io.quanthub.inference.preview.DemoModel;
import java.io.BufferedReader;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code quanthub serve --demo} on an empty data folder: it generates and pushes the demo model, says where to look,
 * and its previews render (with their PSNR against the source).
 */
class ServeDemoTest {
    private static final Pattern DEMO = Pattern.compile("demo: 3 previews are rendering \\((http://127\\.0\\.0\\.1:"
            + "\\d+)/api/jobs\\); see them at \\1/#/models/demo/flux-demo/previews\\?quants=Q8_0,Q4_K_M,Q2_K"
            + "&conditioning=random-a&seed=0&steps=4&width=256&height=256");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    /** The demo renders with the Previews tab's defaults, so choosing its levels there finds them rendered. */
    @Test
    void demoPreviewSettingsAreTheCatalogDefaults() throws Exception {
        String script = java.nio.file.Files.readString(Path.of("../hub-api/src/main/resources/webroot/js/views/"
                + "previews.js"));
        Matcher defaults = Pattern.compile("const DEFAULTS = \\{seed: (\\d+), steps: (\\d+), width: (\\d+), "
                + "height: (\\d+)\\};").matcher(script);
        assertTrue(defaults.find(), "previews.js has no DEFAULTS");
        assertEquals(new PreviewBody(Long.parseLong(defaults.group(1)), Integer.parseInt(defaults.group(2)),
                Integer.parseInt(defaults.group(3)), Integer.parseInt(defaults.group(4)), "random-a", null, null),
                DemoSetup.PREVIEW);
    }

    @Test
    void demoStartsAndItsPreviewsRender() throws Exception {
        ServeCommand serve = new ServeCommand();
        CommandLine cli = new CommandLine(serve);
        PipedReader pipe = new PipedReader();
        cli.setOut(new PrintWriter(new PipedWriter(pipe), true));
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute("--port", "0",
                "--cluster-port", "0", "--data", dir.resolve("data").toString(), "--demo"));
        try {
            BufferedReader lines = new BufferedReader(pipe);
            String line;
            Matcher demo = null;
            boolean saysRandom = false;
            while ((line = lines.readLine()) != null) {
                saysRandom |= line.equals("demo: " + DemoModel.RANDOM_WEIGHTS);
                Matcher m = DEMO.matcher(line);
                if (m.matches()) {
                    demo = m;
                    break;
                }
            }
            assertTrue(demo != null, "no demo line; stderr: " + err);
            assertTrue(saysRandom, "serve says plainly that the demo's weights are random");
            String base = demo.group(1);

            // The same request as the demo's is the same job: wait for it to finish.
            HubClient hub = new HubClient(base, null, HTTP);
            String id = hub.requestPreview("demo/flux-demo", null, "Q4_K_M", DemoSetup.PREVIEW).job().id();
            Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
            String state;
            String json;
            do {
                json = send(HttpRequest.newBuilder(URI.create(base + "/api/previews/" + id))).body();
                state = ApiJson.read(json, Preview.class, "preview").job().state().id();
                assertNotEquals("failed", state, json);
                if (!state.equals("done")) Thread.sleep(200);
            } while (!state.equals("done") && Instant.now().isBefore(deadline));
            assertEquals("done", state, json);
            assertTrue(json.contains("\"psnr\":"), json);

            HttpResponse<String> image = send(HttpRequest.newBuilder(URI.create(base + "/api/previews/" + id
                    + "/image")));
            assertEquals(200, image.statusCode());
            assertEquals("image/png", image.headers().firstValue("Content-Type").orElse(""));

            // The demo takes prompts: through the API (encoded by the encoders its quanthub.json names) ...
            Preview prompted = hub.requestPreview("demo/flux-demo", null, "Q2_K",
                    new PreviewBody(1L, 1, 32, 32, null, "a red fox in the snow", 64));
            assertEquals("a red fox in the snow", prompted.prompt());
            Preview done = awaitDone(hub, prompted.job().id());
            assertEquals(java.util.Set.of("clip_l", "t5xxl"), done.textEncoders().keySet(), done.toString());

            // ... and with `quanthub preview`, which follows the job with a progress bar and writes the PNG.
            Path png = dir.resolve("out/fox.png");
            Cli run = Cli.run("preview", "demo/flux-demo:Q8_0", "--hub", base, "--prompt", "a red fox in the snow",
                    "--seed", "2", "--steps", "2", "--width", "48", "--height", "32", "--t5-length", "64",
                    "--out", png.toString(), "--progress");
            assertEquals(0, run.exit(), run.err());
            byte[] bytes = java.nio.file.Files.readAllBytes(png);
            java.awt.image.BufferedImage decoded = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(bytes));
            assertEquals(48, decoded.getWidth());
            assertEquals(32, decoded.getHeight());
            assertTrue(run.err().contains("preview [") && run.err().contains("2/2 steps"), run.err());
            assertTrue(run.out().startsWith(png + "  demo/flux-demo:Q8_0, seed 2, 2 steps, 48x32, PSNR "), run.out());
            try (var files = java.nio.file.Files.list(png.getParent())) {
                assertEquals(java.util.List.of(png), files.toList(), "no temporary file left");
            }
            // Without :QUANT the model's default level (Q8_0): the same settings are the same job, answered at once.
            Path again = dir.resolve("out/fox-default.png");
            Cli rerun = Cli.run("preview", "demo/flux-demo", "--hub", base, "--prompt", "a red fox in the snow",
                    "--seed", "2", "--steps", "2", "--width", "48", "--height", "32", "--t5-length", "64",
                    "--out", again.toString(), "--no-progress");
            assertEquals(0, rerun.exit(), rerun.err());
            assertTrue(rerun.out().startsWith(again + "  demo/flux-demo:Q8_0, "), rerun.out());
            assertTrue(java.util.Arrays.equals(bytes, java.nio.file.Files.readAllBytes(again)), "the same image");
        } finally {
            if (serve.server != null) serve.server.close();
        }
        assertEquals(0, exit.get());
    }

    /** Polls a preview until it is done; fails if it fails (three minutes are a hang guard, not a timing). */
    private static Preview awaitDone(HubClient hub, String id) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (Instant.now().isBefore(deadline)) {
            Preview view = hub.preview(id);
            assertNotEquals("failed", view.job().state().id(), String.valueOf(view.job().reason()));
            if (view.job().state().id().equals("done")) return view;
            Thread.sleep(200);
        }
        throw new AssertionError("preview " + id + " did not finish");
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
