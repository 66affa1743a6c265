package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quanthub.inference.preview.DemoModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, item 9: nobody occupies the renderer. A real hub with its cluster member but no inference node, so
 * every preview job stays queued while the test looks at quotas: anonymous callers get small previews only (401
 * beyond), each caller has at most 4 jobs queued or running and the queue at most 6 (429 beyond), the requester or
 * an admin cancels, and a preview job of a private repository is invisible to callers who cannot read it.
 */
class PreviewQuotaTest extends HubTestSupport {
    private static final String PUBLIC = PreviewDemo.REPO;
    private static final String PRIVATE = "demo/private-flux";

    @BeforeAll
    static void startHubWithoutInferenceNode() throws Exception {
        hub.close();
        hub = HubServer.start(config(dataDir.resolve("quota"))
                .withCluster(ClusterConfig.defaults().withPort(0).withRenders(false))
                .withPreviews(PreviewLimits.DEFAULTS.withJobsPerCaller(4).withMaxQueued(6)));
        admin = Files.readString(hub.adminTokenFile()).strip();
        Path demo = dataDir.resolve("demo");
        PreviewDemo.push(hub, admin, demo);
        createRepo(PRIVATE, true);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String file : List.of(DemoModel.MODEL_FILE, DemoModel.VAE_FILE, DemoModel.conditioningPath("random-a"),
                "flux-demo-Q8_0.gguf")) {
            files.put(file, read(demo.resolve(file)));
        }
        commitFiles(PRIVATE, "main", files);
    }

    /** Cancels every preview still queued, so each test starts with an empty queue. */
    @AfterEach
    void emptyTheQueue() {
        for (JsonNode job : get("/api/jobs", admin).json()) {
            if (job.get("kind").asText().equals("preview") && job.get("state").asText().equals("queued")) {
                postJson("/api/previews/" + job.get("id").asText() + "/cancel", Map.of(), admin);
            }
        }
    }

    @Test
    void anonymousCallersGetSmallPreviewsOfAFewSeedsAndLargerOnesNeedAToken() {
        String path = "/api/models/" + PUBLIC + "/quants/Q8_0/previews";
        String big = postJson(path, settings(0, 50, 1024), null).error(401);
        assertEquals("anonymous previews are at most 512x512 pixels, 8 steps and seeds 0..3 (asked: 1024x1024, 50 "
                + "steps, seed 0); larger previews need an API token (Authorization: Bearer <token>)", big);
        assertTrue(postJson(path, settings(0, 9, 256), null).error(401).contains("9 steps"));
        assertTrue(postJson(path, settings(0, 4, 528), null).error(401).contains("528x528"));
        assertTrue(postJson(path, settings(4, 4, 256), null).error(401).contains("seed 4"));
        assertTrue(postJson(path, settings(-1, 4, 256), null).error(401).contains("seed -1"));

        Response largest = postJson(path, settings(3, 8, 512), null);
        assertEquals(202, largest.status(), largest.text());
        Response withToken = postJson(path, settings(99, 50, 1024), admin);
        assertEquals(202, withToken.status(), withToken.text());
    }

    @Test
    void eachCallerHasAFewJobsTheQueueIsBoundedAndTheRequesterOrAnAdminCancels() {
        // Anonymous: Q8_0 seed 0 is two jobs (the preview and its reference), Q2_K seed 0 one more (same reference).
        String q8 = request("Q8_0", 0, null, 202);
        String q2 = request("Q2_K", 0, null, 202);
        assertEquals(q8, request("Q8_0", 0, null, 202), "asking again adds nothing, and is never refused");
        String refused = postJson(previews("Q8_0"), settings(1, 4, 256), null).error(429);
        assertEquals("you have 3 preview jobs queued or running and this request adds 2 (at most 4 per caller); wait "
                + "for one to finish or cancel one (POST /api/previews/{id}/cancel)", refused);

        // Another caller still gets in; then the queue (6) is full for everyone.
        String adminQ8 = request("Q8_0", 1, admin, 202);
        String full = postJson(previews("Q2_K"), settings(2, 4, 256), admin).error(429);
        assertEquals("the preview queue is full (5 jobs queued, at most 6); try again when some have started", full);

        // Only the requester or an admin cancels.
        assertTrue(postJson("/api/previews/" + adminQ8 + "/cancel", Map.of(), null).error(403)
                .startsWith("only the caller who asked for preview " + adminQ8 + ", or an admin, may cancel it"));
        Response cancelled = postJson("/api/previews/" + q2 + "/cancel", Map.of(), null);
        assertEquals(200, cancelled.status(), cancelled.text());
        assertEquals("failed", cancelled.json().get("state").asText());
        assertEquals("cancelled by an anonymous caller", cancelled.json().get("reason").asText());
        JsonNode asJob = get("/api/jobs/" + q2, null).json();
        assertEquals("failed", asJob.get("state").asText());
        assertEquals("cancelled by an anonymous caller", asJob.get("reason").asText());
        assertTrue(postJson("/api/previews/" + q2 + "/cancel", Map.of(), null).error(409)
                .contains("has already finished: it is failed"));

        // The freed slot is the caller's again (Q2_K seed 1 adds one job: its reference is the admin's, queued).
        request("Q2_K", 1, null, 202);
        Response byAdmin = postJson("/api/jobs/" + q8 + "/cancel", Map.of(), admin);
        assertEquals(200, byAdmin.status(), byAdmin.text());
        assertEquals("cancelled by '" + AdminToken.NAME + "'", byAdmin.json().get("reason").asText());
        assertTrue(postJson("/api/jobs/" + "0".repeat(64) + "-Q4_0-1/cancel", Map.of(), admin).error(409)
                .startsWith("only preview jobs can be cancelled"));
    }

    @Test
    void aPreviewOfAPrivateRepositoryShowsNothingToCallersWhoCannotReadIt() {
        String hidden = request(PRIVATE, "Q8_0", 0, admin, 202);
        String shown = request(PUBLIC, "Q8_0", 0, null, 202);
        assertNotEquals(hidden, shown, "the same files in a public repository are a job of their own");
        assertEquals(PUBLIC, get("/api/previews/" + shown, null).json().get("repo").asText());

        for (String path : List.of("/api/previews/" + hidden, "/api/previews/" + hidden + "/image",
                "/api/jobs/" + hidden, "/api/jobs/" + hidden + "/events")) {
            Response r = get(path, null);
            assertEquals(404, r.status(), path + ": " + r.text());
            assertFalse(r.text().contains(PRIVATE), path + " names the repository: " + r.text());
        }
        assertEquals(404, postJson("/api/previews/" + hidden + "/cancel", Map.of(), null).status());
        List<String> listed = new ArrayList<>();
        get("/api/jobs", null).json().forEach(job -> listed.add(job.get("id").asText()));
        assertTrue(listed.contains(shown) && !listed.contains(hidden), listed.toString());

        JsonNode forAdmin = get("/api/jobs/" + hidden, admin).json();
        assertEquals(PRIVATE, forAdmin.get("repo").asText());
    }

    private static String request(String quant, long seed, String token, int status) {
        return request(PUBLIC, quant, seed, token, status);
    }

    private static String request(String repo, String quant, long seed, String token, int status) {
        Response r = postJson("/api/models/" + repo + "/quants/" + quant + "/previews", settings(seed, 4, 256),
                token);
        assertEquals(status, r.status(), r.text());
        return r.json().get("id").asText();
    }

    private static String previews(String quant) {
        return "/api/models/" + PUBLIC + "/quants/" + quant + "/previews";
    }

    private static Map<String, Object> settings(long seed, int steps, int side) {
        return Map.of("seed", seed, "steps", steps, "width", side, "height", side, "conditioning", "random-a");
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
