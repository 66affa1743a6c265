package io.quanthub.hub.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quanthub.storage.Digest;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The API's records in their one JSON form: what the hub writes, a client reads back equal; the names the docs and
 * the web catalog read stay; a client skips fields it does not know and names the field of a mistyped answer.
 */
class ApiJsonTest {
    private static final Digest DIGEST = new Digest("a".repeat(64));
    private static final Instant T = Instant.parse("2026-12-07T00:00:00.123Z");

    private static <T> T roundTrip(T value) throws IOException {
        @SuppressWarnings("unchecked")
        Class<T> type = (Class<T>) value.getClass();
        T back = ApiJson.read(ApiJson.writeString(value), type, "test");
        assertEquals(value, back);
        return back;
    }

    @Test
    void jobsRoundTripWithTheirStateSpelledAsTheWebReadsIt() throws IOException {
        HubJob job = new HubJob("job-1", "conversion", HubJob.State.RUNNING, 0.5, 10, 20, null, "org/m",
                "c".repeat(64), "Q4_K_M", null, T, T, Map.of()).withLinks();
        roundTrip(job);
        String json = ApiJson.writeString(job);
        assertTrue(json.contains("\"state\":\"running\""), json);
        assertFalse(json.contains("reason"), "nulls are left out: " + json);
        assertTrue(json.contains("\"created\":\"2026-12-07T00:00:00.123Z\""), json);
    }

    @Test
    void aPreviewKeepsTheJobFieldsAtItsTopLevel() throws IOException {
        HubJob job = new HubJob("preview-1", "preview", HubJob.State.DONE, 1, 0, 0, null, "org/m", "c".repeat(64),
                "Q8_0", DIGEST.toString(), T, T, Map.of("preview", "/api/previews/preview-1"));
        Preview preview = new Preview(job, null, "a photo of a cat", 1, 4, 128, 128, "preview-2", false, 31.5, 0.97,
                new Preview.Timings(List.of(10L, 11L), 5, 3, 26), "127.0.0.1:5701",
                Map.of("clip_l", DIGEST.toString()), 12L << 30);
        roundTrip(preview);
        String json = ApiJson.writeString(preview);
        assertTrue(json.startsWith("{\"id\":\"preview-1\""), json);
        assertFalse(json.contains("\"job\""), json);
        assertTrue(json.contains("\"prompt\":\"a photo of a cat\"") && !json.contains("conditioning"), json);
    }

    @Test
    void repositoryAndQuantShapesRoundTrip() throws IOException {
        RepoFile file = new RepoFile("m-Q8_0.gguf", 7, DIGEST);
        TextEncoder encoder = new TextEncoder("t5xxl", "city96/t5:Q8_0", TextEncoder.Origin.REPOSITORY,
                TextEncoder.Status.PRODUCIBLE, null, "Q8_0", null, 5L);
        RepoDetails details = roundTrip(new RepoDetails("org/m", true, "u", T, "main", "c".repeat(64), T, "u", "msg",
                Map.of("main", "c".repeat(64)), Map.of(), List.of(file), "flux", 12L, List.of(file.path()),
                List.of("Q8_0"), List.of(encoder)));
        assertTrue(ApiJson.writeString(details).contains("\"private\":true"));
        assertEquals(7, details.totalSize());
        roundTrip(new RepoSummary("org/m", false, "u", T, null, null, null, null, null, List.of()));
        QuantTable table = roundTrip(new QuantTable("org/m", "main", "c".repeat(64), "flux", 12L,
                new QuantTable.Source("m.safetensors", DIGEST, 24, "BF16"), "Q8_0", List.of(
                new QuantTable.Level("Q8_0", QuantTable.Status.AVAILABLE, 7L, false, 8.5,
                        new QuantTable.Vram(9, 12L), file.path(), DIGEST, new QuantTable.Quality(0.01, 0.9999)),
                new QuantTable.Level("Q2_K", QuantTable.Status.MISSING, 3L, true, 2.6, null, null, null, null)),
                List.of(encoder)));
        String json = ApiJson.writeString(table);
        assertTrue(json.contains("\"default\":\"Q8_0\"") && json.contains("\"status\":\"missing\""), json);
        assertTrue(json.contains("\"origin\":\"repository\",\"status\":\"producible\""), json);
        assertEquals(List.of("Q8_0"), table.downloadableNames());
        assertEquals(file, table.level("q8_0").orElseThrow().file().orElseThrow());
        roundTrip(new CommitBody("m", null, Map.of("a.gguf", new CommitBody.FileRef(DIGEST, 7L)), List.of()));
        roundTrip(new Committed("c".repeat(64), null, "main", "u", "m", T, 1,
                List.of(new Committed.PushedQuant("a.gguf", "Q8_0", null))));
    }

    @Test
    void aClientSkipsFieldsItDoesNotKnow() throws IOException {
        User user = ApiJson.read("{\"name\":\"ann\",\"admin\":true,\"createdBy\":\"admin\","
                + "\"created\":\"2026-12-07T00:00:00Z\",\"addedInAFutureHub\":{\"x\":1}}", User.class, "test");
        assertEquals(new User("ann", true, "admin", Instant.parse("2026-12-07T00:00:00Z")), user);
    }

    @Test
    void aMistypedAnswerNamesTheField() {
        IOException e = assertThrows(IOException.class, () -> ApiJson.read(
                "[{\"id\":\"org/m\",\"private\":false,\"size\":\"big\"}]", ApiJson.listOf(RepoSummary.class),
                "hub response to GET /api/models"));
        assertTrue(e.getMessage().startsWith("hub response to GET /api/models: field [0].size: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aRecordsOwnCheckIsTheMessage() {
        IOException e = assertThrows(IOException.class, () -> ApiJson.read(
                "{\"path\":\"../etc/passwd\",\"size\":1,\"digest\":\"" + DIGEST + "\"}", RepoFile.class, "answer"));
        assertTrue(e.getMessage().startsWith("answer: ") && e.getMessage().contains("../etc/passwd"),
                e.getMessage());
    }
}
