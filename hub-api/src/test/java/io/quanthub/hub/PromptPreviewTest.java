package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Prompt previews end to end: a repository with a Flux model and its text encoders (the shared tiny CLIP-L and T5),
 * a preview asked for with a prompt, encoded and rendered by the in-process node; the same prompt is one job, another
 * prompt another image.
 */
class PromptPreviewTest extends HubTestSupport {
    private static final String REPO = PreviewDemo.PROMPT_REPO;
    private static final String PATH = "/api/models/" + REPO + "/quants/Q8_0/previews";

    @BeforeAll
    static void startClusteredHubWithTextEncoders() throws Exception {
        hub.close();
        hub = PreviewDemo.startHub(config(dataDir.resolve("clustered")));
        admin = Files.readString(hub.adminTokenFile()).strip();
        PreviewDemo.pushWithTextEncoders(hub, admin, dataDir.resolve("prompt-demo"));
    }

    @Test
    void aPromptIsEncodedRenderedAndShownWithItsPreview() throws Exception {
        Map<String, Object> cat = Map.of("prompt", "a photo of a cat", "seed", 1, "steps", 1, "width", 32,
                "height", 32, "t5Length", 256);
        Response requested = postJson(PATH, cat, null);
        assertTrue(requested.status() == 202 || requested.status() == 200, requested.text());
        String id = requested.json().get("id").asText();
        JsonNode done = awaitDone(id);
        assertEquals("a photo of a cat", done.get("prompt").asText());
        assertTrue(done.get("conditioning") == null || done.get("conditioning").isNull(), done.toString());
        assertTrue(done.get("psnr").asDouble() > 0, done.toString());
        byte[] catImage = get("/api/previews/" + id + "/image", null).body();

        // The same prompt and settings: the same job. Another prompt: another job and other pixels.
        assertEquals(id, postJson(PATH, cat, null).json().get("id").asText());
        Map<String, Object> dog = Map.of("prompt", "a photo of a dog", "seed", 1, "steps", 1, "width", 32,
                "height", 32, "t5Length", 256);
        String dogId = postJson(PATH, dog, null).json().get("id").asText();
        assertNotEquals(id, dogId);
        awaitDone(dogId);
        assertTrue(!java.util.Arrays.equals(catImage, get("/api/previews/" + dogId + "/image", null).body()),
                "different prompts gave the same image");

        assertTrue(get("/api/models/" + REPO + "/conditioning", null).json().get("prompts").asBoolean());
    }

    /** Polls the preview until it finishes; fails with its state after two minutes (a safety net, not a timing). */
    private static JsonNode awaitDone(String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (Instant.now().isBefore(deadline)) {
            JsonNode view = get("/api/previews/" + id, null).json();
            if (view.get("state").asText().equals("done")) return view;
            assertTrue(!view.get("state").asText().equals("failed"), "preview failed: " + view);
            Thread.sleep(100);
        }
        throw new AssertionError("preview " + id + " did not finish");
    }
}
