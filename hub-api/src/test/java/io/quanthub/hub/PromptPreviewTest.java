package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Path demo = dataDir.resolve("prompt-demo");
        PreviewDemo.pushWithTextEncoders(hub, admin, demo);
        model = Map.of("flux-prompts-Q8_0.gguf", Files.readAllBytes(demo.resolve("flux-prompts-Q8_0.gguf")),
                "flux-demo.safetensors", Files.readAllBytes(demo.resolve("flux-demo.safetensors")),
                "ae.safetensors", Files.readAllBytes(demo.resolve("ae.safetensors")));
        clip = Files.readAllBytes(demo.resolve("text_encoders/clip_l.safetensors"));
        t5 = Files.readAllBytes(demo.resolve("text_encoders/t5xxl.gguf"));
        createRepo("enc/tiny", false);
        commitFiles("enc/tiny", "main", Map.of("clip_l.safetensors", clip, "t5xxl.gguf", t5));
        createRepo("secret/tiny", true);
        commitFiles("secret/tiny", "main", Map.of("clip_l.safetensors", clip, "t5xxl.gguf", t5));
        createRepo("enc/t5-source", false);
        commitFiles("enc/t5-source", "main", Map.of("t5.safetensors",
                Files.readAllBytes(TextEncodersApiTest.DATA.resolve("text-encoders-tiny/t5.safetensors")),
                "t5_tokenizer/tokenizer.json", Files.readAllBytes(TextEncodersApiTest.DATA.resolve(
                        "text-encoders-tiny/t5_tokenizer/tokenizer.json"))));
    }

    private static Map<String, byte[]> model;
    private static byte[] clip;
    private static byte[] t5;

    /** A public repository holding the prompt demo's model and {@code quanthub.json} naming {@code encoders}. */
    private static String modelNaming(String repo, String clipRef, String t5Ref) {
        createRepo(repo, false);
        Map<String, byte[]> files = new java.util.HashMap<>(model);
        if (clipRef != null) {
            files.put("quanthub.json", TextEncodersApiTest.json("{\"text_encoders\": {\"clip_l\": \"" + clipRef
                    + "\", \"t5xxl\": \"" + t5Ref + "\"}}"));
        }
        commitFiles(repo, "main", files);
        return "/api/models/" + repo + "/quants/Q8_0/previews";
    }

    private static final Map<String, Object> FOX = Map.of("prompt", "a fox", "seed", 2, "steps", 1, "width", 32,
            "height", 32, "t5Length", 64);

    @Test
    void encodersInAnotherRepositoryNamedByQuanthubJsonEncodeThePromptOnTheNode() throws Exception {
        String path = modelNaming("demo/named-encoders", "enc/tiny/clip_l.safetensors", "enc/tiny/t5xxl.gguf");
        JsonNode encoders = get("/api/models/demo/named-encoders", null).json().get("textEncoders");
        assertEquals("repository", encoders.get(0).get("origin").asText(), encoders.toString());
        Response requested = postJson(path, FOX, null);
        assertTrue(requested.status() == 202 || requested.status() == 200, requested.text());
        JsonNode done = awaitDone(requested.json().get("id").asText());
        assertEquals("sha256:" + sha256(clip), done.get("textEncoders").get("clip_l").asText(), done.toString());
        assertEquals("sha256:" + sha256(t5), done.get("textEncoders").get("t5xxl").asText(), done.toString());
    }

    @Test
    void encodersInAPrivateRepositoryServeOnlyWhoMaySeeIt() throws Exception {
        String path = modelNaming("demo/secret-encoders", "secret/tiny/clip_l.safetensors", "secret/tiny/t5xxl.gguf");
        String error = postJson(path, FOX, null).error(409);
        assertEquals("the clip_l text encoder secret/tiny/clip_l.safetensors of demo/secret-encoders is not "
                + "available (no such file or level, or a repository you cannot see)", error);
        assertTrue(!get("/api/models/demo/secret-encoders/conditioning", null).json().get("prompts").asBoolean());
        // The admin sees the encoders' repository: the same request renders.
        Response requested = postJson(path, FOX, admin);
        assertTrue(requested.status() == 202 || requested.status() == 200, requested.text());
        awaitDone(requested.json().get("id").asText());
    }

    @Test
    void aT5LevelNotMadeYetIsToBeProducedFirst() {
        String path = modelNaming("demo/t5-level", "enc/tiny/clip_l.safetensors", "enc/t5-source:Q8_0");
        assertEquals("the t5xxl text encoder enc/t5-source:Q8_0 of demo/t5-level is not produced yet; produce it "
                + "first (POST /api/models/enc/t5-source/quants/Q8_0)", postJson(path, FOX, admin).error(409));
    }

    @Test
    void aModelThatNamesNoEncodersTakesNoPrompt() {
        String path = modelNaming("demo/no-encoders", null, null);
        assertTrue(get("/api/models/demo/no-encoders", null).json().get("textEncoders").isEmpty());
        String error = postJson(path, FOX, null).error(409);
        assertTrue(error.startsWith("demo/no-encoders names no clip_l text encoder, so its previews take no prompt"),
                error);
    }

    @Test
    void conventionallyNamedFilesOfTheCommitAreTheFallback() {
        JsonNode encoders = get("/api/models/" + REPO, null).json().get("textEncoders");
        assertEquals(2, encoders.size(), encoders.toString());
        for (JsonNode e : encoders) {
            assertEquals("files", e.get("origin").asText(), e.toString());
            assertEquals("available", e.get("status").asText(), e.toString());
        }
        assertEquals("text_encoders/clip_l.safetensors", TextEncodersApiTest.encoder(encoders, "clip_l")
                .get("path").asText());
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
