package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Previews end to end: a hub with its cluster member and in-process inference node, the demo model, its Q8_0 and
 * Q2_K GGUFs, conditioning sets and VAE pushed over HTTP, previews requested, rendered, compared and served.
 */
class PreviewApiTest extends HubTestSupport {
    private static final String REPO = PreviewDemo.REPO;
    private static final Map<String, Object> SETTINGS = Map.of("seed", 3, "steps", 2, "width", 64, "height", 48,
            "conditioning", "random-a");

    /** Replaces the plain hub of {@link HubTestSupport} with one that runs a cluster member and an inference node. */
    @BeforeAll
    static void startClusteredHubWithTheDemoModel() throws Exception {
        hub.close();
        hub = PreviewDemo.startHub(config(dataDir.resolve("clustered")));
        admin = Files.readString(hub.adminTokenFile()).strip();
        PreviewDemo.push(hub, admin, dataDir.resolve("demo"));
    }

    @Test
    void previewIsRenderedComparedWithTheSourceAndServed() throws Exception {
        Response requested = postJson("/api/models/" + REPO + "/quants/Q8_0/previews", SETTINGS, null);
        assertTrue(requested.status() == 202 || requested.status() == 200, requested.text());
        JsonNode job = requested.json();
        String id = job.get("id").asText();
        assertEquals("preview", job.get("kind").asText());
        assertEquals("/api/previews/" + id, requested.header("Location"));
        assertEquals("random-a", job.get("conditioning").asText());

        JsonNode done = awaitDone(id);
        assertEquals("Q8_0", done.get("quant").asText());
        assertEquals(2, done.get("timings").get("stepMillis").size());
        assertTrue(done.get("timings").get("decodeMillis").asLong() >= 0);
        assertNotNull(done.get("node").asText());
        double psnr = done.get("psnr").asDouble();
        double ssim = done.get("ssim").asDouble();
        assertTrue(psnr > 10 && Double.isFinite(psnr), "PSNR " + psnr);
        assertTrue(ssim > 0 && ssim < 1, "SSIM " + ssim);

        BufferedImage image = png("/api/previews/" + id + "/image");
        assertEquals(64, image.getWidth());
        assertEquals(48, image.getHeight());
        BufferedImage heatmap = png("/api/previews/" + id + "/heatmap");
        assertEquals(64, heatmap.getWidth());

        // The reference: the source's own preview of the same settings, done once and compared with nothing.
        JsonNode reference = get(done.get("links").get("reference").asText(), null).json();
        assertEquals("done", reference.get("state").asText());
        assertTrue(reference.get("isReference").asBoolean());
        assertTrue(reference.get("psnr") == null || reference.get("psnr").isNull());
        assertEquals(404, get("/api/previews/" + reference.get("id").asText() + "/heatmap", null).status());

        // Asked again: the same job, already done.
        Response again = postJson("/api/models/" + REPO + "/quants/Q8_0/previews", SETTINGS, null);
        assertEquals(200, again.status(), again.text());
        assertEquals(id, again.json().get("id").asText());

        // The general job routes know it too.
        JsonNode asJob = get("/api/jobs/" + id, null).json();
        assertEquals("preview", asJob.get("kind").asText());
        assertEquals("done", asJob.get("state").asText());

        // A coarser quant drifts further from the source.
        String q2 = postJson("/api/models/" + REPO + "/quants/Q2_K/previews", SETTINGS, null).json().get("id").asText();
        JsonNode q2Done = awaitDone(q2);
        assertEquals(reference.get("id").asText(), q2Done.get("reference").asText(), "one reference for both");
        assertTrue(q2Done.get("psnr").asDouble() < psnr, "Q2_K " + q2Done.get("psnr") + " vs Q8_0 " + psnr);
    }

    @Test
    void badRequestsAreRefusedWithOneLineErrors() {
        String path = "/api/models/" + REPO + "/quants/Q8_0/previews";
        assertTrue(postJson(path, with("conditioning", "nope"), null).error(404)
                .contains("unknown conditioning 'nope' in " + REPO + "; available: random-a, random-b"));
        assertTrue(postJson(path, with("width", 50), null).error(400).contains("multiple of 16"));
        assertTrue(postJson(path, with("height", 2048), null).error(400).contains("too large"));
        assertTrue(postJson(path, with("steps", 0), null).error(400).contains("steps must be 1..50"));
        assertTrue(postJson(path, with("steps", 51), null).error(400).contains("steps must be 1..50"));
        assertTrue(postJson(path, Map.of("seed", 1), null).error(400)
                .contains("a prompt or a conditioning set is required"));
        assertTrue(postJson(path, Map.of("conditioning", "random-a", "prompt", "a cat"), null).error(400)
                .contains("give a prompt or a conditioning set, not both"));
        assertTrue(postJson(path, Map.of("prompt", "x".repeat(4001)), null).error(400).contains("too long"));
        assertTrue(postJson(path, Map.of("prompt", "a cat", "t5Length", 513), null).error(400)
                .contains("t5Length must be 1..512"));
        assertTrue(postJson(path, Map.of("prompt", "a cat"), null).error(409)
                .contains(REPO + " names no clip_l text encoder, so its previews take no prompt"));
        assertTrue(postJson("/api/models/" + REPO + "/quants/Q4_0/previews", SETTINGS, null).error(409)
                .contains("Q4_0 of " + REPO + " is not available"));
        assertTrue(postJson("/api/models/" + REPO + "/quants/Q9/previews", SETTINGS, null).error(400)
                .contains("unknown quant level 'Q9'"));
        assertEquals(404, postJson("/api/models/demo/missing/quants/Q8_0/previews", SETTINGS, null).status());
        assertEquals(404, get("/api/previews/preview-000000000000000000000000", null).status());
    }

    @Test
    void conditioningSetsAreListed() {
        JsonNode sets = get("/api/models/" + REPO + "/conditioning", null).json();
        assertEquals("[\"random-a\",\"random-b\"]", sets.get("conditioning").toString());
        assertTrue(sets.get("vae").asBoolean());
        assertTrue(sets.get("previews").asBoolean());
        assertTrue(!sets.get("prompts").asBoolean());
    }

    @Test
    void previewsRecordTheDigestsOfTheTextEncodersTheModelNames() throws Exception {
        byte[] clip = Files.readAllBytes(TextEncodersApiTest.DATA.resolve("text-encoders-tiny/clip_l.safetensors"));
        commitFiles(REPO, "main", Map.of("text_encoders/clip_l.safetensors", clip, "quanthub.json",
                ("{\"text_encoders\": {\"clip_l\": \"" + REPO + "/text_encoders/clip_l.safetensors\"}}")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Map<String, Object> settings = new LinkedHashMap<>(with("seed", 0));
        settings.put("steps", 1);
        JsonNode requested = postJson("/api/models/" + REPO + "/quants/Q8_0/previews", settings, null).json();
        String clipDigest = "sha256:" + sha256(clip);
        assertEquals(clipDigest, requested.get("textEncoders").get("clip_l").asText(), requested.toString());
        JsonNode done = awaitDone(requested.get("id").asText());
        assertEquals(Map.of("clip_l", clipDigest), Map.of("clip_l", done.get("textEncoders").get("clip_l").asText()));
        assertEquals(1, done.get("textEncoders").size());
        JsonNode reference = get(done.get("links").get("reference").asText(), null).json();
        assertEquals(clipDigest, reference.get("textEncoders").get("clip_l").asText(), "the reference records them too");
    }

    private static Map<String, Object> with(String key, Object value) {
        Map<String, Object> body = new LinkedHashMap<>(SETTINGS);
        body.put(key, value);
        return body;
    }

    /** Polls the preview until it finishes; fails with its state after two minutes (a safety net, not a timing). */
    private static JsonNode awaitDone(String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        JsonNode view;
        do {
            view = get("/api/previews/" + id, null).json();
            if (view.get("state").asText().equals("done")) return view;
            assertTrue(!view.get("state").asText().equals("failed"), "preview failed: " + view);
            Thread.sleep(100);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("preview " + id + " did not finish: " + view);
    }

    private static BufferedImage png(String path) throws Exception {
        Response r = get(path, null);
        assertEquals(200, r.status(), r.text());
        assertEquals("image/png", r.header("Content-Type"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(r.body(), 4));
        return ImageIO.read(new ByteArrayInputStream(r.body()));
    }
}
