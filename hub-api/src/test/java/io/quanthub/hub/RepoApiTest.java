package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Repositories, commits, tokens and access control through the HTTP API. */
class RepoApiTest extends HubTestSupport {
    private static List<String> ids(JsonNode list) {
        List<String> ids = new ArrayList<>();
        list.forEach(n -> ids.add(n.get("id").asText()));
        return ids;
    }

    @Test
    void createListAndSearchRepositories() {
        createRepo("acme/flux-tiny", false);
        createRepo("acme/sdxl-base", false);
        createRepo("other/flux-schnell", false);

        Response conflict = postJson("/api/repos", Map.of("name", "acme/flux-tiny"), admin);
        assertTrue(conflict.error(409).contains("already exists"));

        List<String> all = ids(get("/api/models", null).json());
        assertTrue(all.containsAll(List.of("acme/flux-tiny", "acme/sdxl-base", "other/flux-schnell")), all.toString());
        assertEquals(List.of("acme/flux-tiny", "other/flux-schnell"), ids(get("/api/models?search=FLUX", null).json()));
        assertEquals(1, get("/api/models?search=flux&limit=1", null).json().size());
        assertEquals(List.of(), ids(get("/api/models?search=flux&architecture=sd3", null).json()));
        get("/api/models?limit=0", null).error(400);
        get("/api/models?quant=Q9_9", null).error(400);

        JsonNode details = get("/api/models/acme/sdxl-base", null).json();
        assertEquals("acme/sdxl-base", details.get("id").asText());
        assertFalse(details.get("private").asBoolean());
        assertFalse(details.has("sha"), details.toString()); // nothing committed yet
        JsonNode emptySummary = get("/api/models?search=acme/sdxl-base", null).json().get(0);
        assertFalse(emptySummary.has("size"), emptySummary.toString()); // no commit, no size
        assertEquals(0, details.get("files").size());
        assertEquals("admin", details.get("createdBy").asText());
    }

    @Test
    void commitsAndHistory() {
        createRepo("hist/model", false);
        JsonNode first = commitFiles("hist/model", "main", Map.of("README.md", "hello".getBytes()));
        JsonNode second = commitFiles("hist/model", "main", Map.of("config.json", "{}".getBytes()));
        assertEquals(first.get("id").asText(), second.get("parent").asText());
        assertEquals(2, second.get("files").asInt());

        JsonNode history = get("/api/models/hist/model/commits", null).json();
        assertEquals(List.of(second.get("id").asText(), first.get("id").asText()),
                List.of(history.get(0).get("id").asText(), history.get(1).get("id").asText()));
        assertEquals("admin", history.get(0).get("author").asText());

        JsonNode details = get("/api/models/hist/model", null).json();
        assertEquals(second.get("id").asText(), details.get("sha").asText());
        assertEquals(second.get("id").asText(), details.get("branches").get("main").asText());
        assertEquals(2, details.get("files").size());
        JsonNode readme = details.get("files").get(0);
        assertEquals("README.md", readme.get("path").asText());
        assertEquals(5, readme.get("size").asInt());
        assertEquals("sha256:" + sha256("hello".getBytes()), readme.get("digest").asText());
        // The listing's summary describes the head of main: its size is the bytes of all its files (5 + 2).
        JsonNode summary = get("/api/models?search=hist/model", null).json().get(0);
        assertEquals(second.get("id").asText(), summary.get("sha").asText(), summary.toString());
        assertEquals(7, summary.get("size").asLong(), summary.toString());
        // The first commit stays readable by id.
        assertEquals(1, get("/api/models/hist/model?revision=" + first.get("id").asText(), null).json()
                .get("files").size());

        // A parent that is no longer the head is fine when the change does not clash; a clash is a 409.
        String digest = upload("hist/model", "v2".getBytes());
        Response clash = postJson("/api/models/hist/model/commits/main", Map.of("message", "edit",
                "parent", first.get("id").asText(),
                "files", Map.of("config.json", Map.of("digest", digest, "size", 2))), admin);
        assertTrue(clash.error(409).contains("config.json"), clash.text());

        postJson("/api/models/hist/model/commits/main", Map.of("message", "nothing"), admin).error(400);
        postJson("/api/models/hist/model/commits/main", Map.of("message", "x", "files",
                Map.of("a.txt", Map.of("digest", "sha256:" + "0".repeat(64), "size", 1))), admin).error(404);
        Response typo = postJson("/api/models/hist/model/commits/main", Map.of("mesage", "x"), admin);
        assertTrue(typo.error(400).contains("unknown field 'mesage'"), typo.text());
    }

    @Test
    void concurrentCommitsToOneBranchLoseNothing() throws Exception {
        createRepo("busy/model", false);
        int writers = 8;
        List<String> digests = new ArrayList<>();
        for (int i = 0; i < writers; i++) digests.add(upload("busy/model", ("file " + i).getBytes()));
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<Response>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int n = i;
                results.add(pool.submit(() -> postJson("/api/models/busy/model/commits/main", Map.of(
                        "message", "writer " + n,
                        "files", Map.of("part-" + n + ".txt",
                                Map.of("digest", digests.get(n), "size", ("file " + n).length()))), admin)));
            }
            Set<String> commitIds = new HashSet<>();
            for (Future<Response> result : results) {
                Response r = result.get();
                assertEquals(201, r.status(), r.text());
                commitIds.add(r.json().get("id").asText());
            }
            assertEquals(writers, commitIds.size());
        } finally {
            pool.shutdown();
        }
        JsonNode details = get("/api/models/busy/model", null).json();
        assertEquals(writers, details.get("files").size(), details.toString());
        assertEquals(writers, get("/api/models/busy/model/commits", null).json().size());
    }

    @Test
    void privateRepositoriesAreInvisibleWithoutAReadToken() {
        createRepo("secret/model", true);
        commitFiles("secret/model", "main", Map.of("weights.bin", "secret bytes".getBytes()));
        String reader = postJson("/api/tokens", Map.of("name", "reader", "scopes", List.of("read")), admin)
                .json().get("token").asText();
        String writer = postJson("/api/tokens", Map.of("name", "writer", "scopes", List.of("write")), admin)
                .json().get("token").asText();

        for (String token : new String[] {null, writer}) {
            assertTrue(get("/api/models/secret/model", token).error(404).contains("not found"));
            get("/api/models/secret/model/commits", token).error(404);
            get("/api/models/secret/model/quants", token).error(404);
            get("/secret/model/resolve/main/weights.bin", token).error(404);
            assertFalse(ids(get("/api/models", token).json()).contains("secret/model"));
        }
        // Exactly the answer of a repository that does not exist.
        assertEquals(get("/api/models/secret/nothing", null).status(), get("/api/models/secret/model", null).status());

        assertTrue(get("/api/models/secret/model", reader).json().get("private").asBoolean());
        assertTrue(ids(get("/api/models", reader).json()).contains("secret/model"));
        Response file = get("/secret/model/resolve/main/weights.bin", reader);
        assertEquals(200, file.status());
        assertEquals("secret bytes", file.text());
    }

    @Test
    void writesNeedATokenWithTheWriteScope() {
        createRepo("guarded/model", false);
        String reader = postJson("/api/tokens", Map.of("name", "ro", "scopes", List.of("read")), admin)
                .json().get("token").asText();

        Response anonymous = postJson("/api/repos", Map.of("name", "guarded/new"), null);
        assertEquals(401, anonymous.status());
        assertEquals("Bearer", anonymous.header("WWW-Authenticate"));
        assertTrue(postJson("/api/repos", Map.of("name", "guarded/new"), reader).error(403).contains("write"));
        assertEquals(401, postJson("/api/repos", Map.of("name", "guarded/new"), "qh_not-a-token").status());
        assertEquals(401, send("PUT", "/api/models/guarded/model/uploads",
                HttpRequest.BodyPublishers.ofString("data"), null).status());
        assertEquals(403, send("PUT", "/api/models/guarded/model/uploads",
                HttpRequest.BodyPublishers.ofString("data"), reader).status());
        assertEquals(401, postJson("/api/models/guarded/model/commits/main", Map.of("message", "m",
                "deletes", List.of("x")), null).status());
        // Only admins make tokens.
        assertEquals(403, postJson("/api/tokens", Map.of("name", "x", "scopes", List.of("read")), reader).status());
        Response created = postJson("/api/tokens", Map.of("name", "ci", "scopes", List.of("read", "write")), admin);
        assertEquals(201, created.status(), created.text());
        assertTrue(created.json().get("token").asText().startsWith("hf_"));
        assertEquals(List.of("read", "write"), List.of(created.json().get("scopes").get(0).asText(),
                created.json().get("scopes").get(1).asText()));
        postJson("/api/tokens", Map.of("name", "bad", "scopes", List.of("root")), admin).error(400);
        // The new token writes, and its user (the admin who made it for itself) is the author.
        String ci = created.json().get("token").asText();
        String digest = send("PUT", "/api/models/guarded/model/uploads", HttpRequest.BodyPublishers.ofString("x"), ci)
                .json().get("digest").asText();
        Response commit = postJson("/api/models/guarded/model/commits/main", Map.of("message", "by ci",
                "files", Map.of("x.txt", Map.of("digest", digest, "size", 1))), ci);
        assertEquals("admin", commit.json().get("author").asText());
    }

    @Test
    void badNamesAndPathTricksAre400() {
        for (String name : List.of("../x", "a/b/c", "_upper/case", "acme", "acme/..", "acme/a..b", "-x/y", "a/",
                "a b/c", "acme/ü")) {
            Response r = postJson("/api/repos", Map.of("name", name), admin);
            assertEquals(400, r.status(), name + ": " + r.text());
            assertFalse(r.json().get("error").asText().contains("\n"));
        }
        createRepo("paths/model", false);
        String digest = upload("paths/model", "x".getBytes());
        for (String path : List.of("../x", "a/../b", "/etc/passwd", "a//b", "a\\b", "C:x", "./a", "a/")) {
            Response r = postJson("/api/models/paths/model/commits/main", Map.of("message", "m",
                    "files", Map.of(path, Map.of("digest", digest, "size", 1))), admin);
            assertEquals(400, r.status(), path + ": " + r.text());
        }
        // Encoded slashes and dots in URLs reach the name checks (plain ../ is resolved away by the router).
        assertEquals(400, get("/api/models/Bad%2Fname/model", null).status());
        assertEquals(400, get("/paths/model/resolve/main/a%2F..%2Fb", null).status());
        assertEquals(400, get("/paths/model/resolve/main/a%5Cb", null).status());
        assertEquals(400, get("/api/models/paths/model?revision=..", null).status());
        assertEquals(400, postJson("/api/models/paths/model/commits/bad%20branch", Map.of("message", "m",
                "files", Map.of("ok.txt", Map.of("digest", digest, "size", 1))), admin).status());
        assertEquals(400, postJson("/api/models/paths/model/commits/main", Map.of("message", "m",
                "files", Map.of("ok.txt", Map.of("digest", "md5:abc", "size", 1))), admin).status());
    }

    @Test
    void spoofingCharactersInPathsAre400NamingTheCodePoint() {
        createRepo("paths/spoof", false);
        String digest = upload("paths/spoof", "x".getBytes());
        Map<String, String> refused = Map.of("model\u202Efdp.gguf", "U+202E", "a\u2028b.txt", "U+2028",
                "a\u2067b.txt", "U+2067", "a\u200Fb.txt", "U+200F", "a\u0085b.txt", "U+0085");
        refused.forEach((path, named) -> {
            Response r = postJson("/api/models/paths/spoof/commits/main", Map.of("message", "m",
                    "files", Map.of(path, Map.of("digest", digest, "size", 1))), admin);
            assertTrue(r.error(400).contains(named), r.text());
        });
        assertEquals(400, get("/paths/spoof/resolve/main/model%E2%80%AEfdp.gguf", null).status());
    }

    @Test
    void unknownRoutesAndBadBodiesAnswerJson() {
        Response missing = get("/api/nothing-here", null);
        assertTrue(missing.error(404).contains("/api/nothing-here"));
        Response notJson = send("POST", "/api/repos", HttpRequest.BodyPublishers.ofString("{not json"), admin,
                "Content-Type", "application/json");
        assertTrue(notJson.error(400).startsWith("invalid JSON body"), notJson.text());
        Response huge = send("POST", "/api/repos", HttpRequest.BodyPublishers.ofByteArray(new byte[2 << 20]), admin,
                "Content-Type", "application/json");
        assertEquals(413, huge.status(), huge.text());
        assertNotEquals(null, huge.json().get("error"));
    }
}
