package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quanthub.storage.Digest;
import io.quanthub.storage.HubStorage;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Hugging Face Hub API with the requests huggingface_hub (Python) sends, as plain HTTP: the flows {@code
 * hf_hub_download}, {@code snapshot_download} and {@code upload_folder} (preupload, Git LFS batch, the object's
 * {@code PUT} and {@code verify}, the NDJSON commit), and the security rules on every one of these routes.
 * (huggingface_hub cannot be installed here; the JS client's own test is the CLI module's {@code HfClientsTest}.)
 */
class HfApiTest extends HubTestSupport {
    private static final Pattern NEXT = Pattern.compile("<(https?://[^>]+)>;\\s+rel=\"next\"");

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Response send(String method, String path, String body, String token, String... headers) {
        return HubTestSupport.send(method, path, HttpRequest.BodyPublishers.ofString(body), token, headers);
    }

    private static Response absolute(String method, String url, byte[] body, String token, String... headers) {
        String path = URI.create(url).getRawPath() + (URI.create(url).getRawQuery() == null ? ""
                : "?" + URI.create(url).getRawQuery());
        assertTrue(url.startsWith(hub.url().toString()), url + " is on this hub");
        return HubTestSupport.send(method, path, HttpRequest.BodyPublishers.ofByteArray(body), token, headers);
    }

    @Test
    void hfHubDownloadAndSnapshotDownload() {
        createRepo("py/down", false);
        byte[] weights = randomBytes(1, 70_000);
        String commit = commitFiles("py/down", "main", Map.of("config.json", utf8("{\"a\": 1}"),
                "unet/weights.bin", weights)).get("id").asText();

        // hf_hub_download: HEAD of resolve (Accept-Encoding: identity), then GET of the same address.
        Response head = send("HEAD", "/py/down/resolve/main/unet/weights.bin", "", null, "Accept-Encoding",
                "identity");
        assertEquals(200, head.status());
        assertEquals(commit, head.header("X-Repo-Commit"));
        assertEquals("\"" + sha256(weights) + "\"", head.header("X-Linked-Etag"));
        assertEquals(Integer.toString(weights.length), head.header("X-Linked-Size"));
        assertEquals("\"" + sha256(weights) + "\"", head.header("ETag"));
        assertArrayEquals(weights, get("/py/down/resolve/main/unet/weights.bin", null).body());
        Response missing = send("HEAD", "/py/down/resolve/main/nothing.bin", "", null);
        assertEquals(404, missing.status());
        assertEquals("EntryNotFound", missing.header("X-Error-Code"));
        assertEquals("RevisionNotFound", send("HEAD", "/py/down/resolve/nobranch/config.json", "", null)
                .header("X-Error-Code"));
        assertEquals("RepoNotFound", send("HEAD", "/py/nothing/resolve/main/config.json", "", null)
                .header("X-Error-Code"));
        assertEquals(200, send("HEAD", "/py/down/raw/main/config.json", "", null).status());

        // snapshot_download: model info (no revision), then every sibling at the commit it names.
        JsonNode info = get("/api/models/py/down", null).json();
        assertEquals(commit, info.get("sha").asText());
        assertEquals("py/down", info.get("id").asText());
        assertTrue(info.get("lastModified").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"),
                info.get("lastModified").asText());
        List<String> siblings = new ArrayList<>();
        for (JsonNode sibling : info.get("siblings")) {
            siblings.add(sibling.get("rfilename").asText());
            JsonNode lfs = sibling.get("lfs");
            assertTrue(lfs.get("pointerSize").asInt() > 100, sibling.toString());
            assertEquals(sibling.get("size").asLong(), lfs.get("size").asLong());
        }
        assertEquals(List.of("config.json", "unet/weights.bin"), siblings);
        assertEquals(sha256(weights), info.get("siblings").get(1).get("lfs").get("sha256").asText());
        Response pinned = get("/py/down/resolve/" + commit + "/unet/weights.bin", null);
        assertEquals(commit, pinned.header("X-Repo-Commit"));
        assertArrayEquals(weights, pinned.body());

        // model_info(revision=..., expand=[...]): only _id, id and what was asked for.
        JsonNode expanded = get("/api/models/py/down/revision/" + commit + "?expand=sha&expand=siblings", null)
                .json();
        assertEquals(new TreeSet<>(List.of("_id", "id", "sha", "siblings")), fieldNames(expanded));
        assertEquals(commit, get("/api/models/py/down/revision/HEAD", null).json().get("sha").asText());

        // list_repo_refs
        JsonNode refs = get("/api/models/py/down/refs", null).json();
        assertEquals("refs/heads/main", refs.get("branches").get(0).get("ref").asText());
        assertEquals(commit, refs.get("branches").get(0).get("targetCommit").asText());
        assertTrue(refs.get("converts").isArray() && refs.get("tags").isArray());
    }

    private static TreeSet<String> fieldNames(JsonNode node) {
        TreeSet<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void theTreePagesByLinkAndPathsInfoTakesPythonsForm() {
        createRepo("py/tree", false);
        Map<String, byte[]> files = new TreeMap<>();
        for (String path : List.of("a.txt", "b/c.txt", "b/d/e.txt", "b/f.txt", "g.txt")) files.put(path, utf8(path));
        String commit = commitFiles("py/tree", "main", files).get("id").asText();

        // list_repo_tree(recursive=True): requests writes True; pages follow the Link header.
        List<String> seen = new ArrayList<>();
        String next = hub.url() + "/api/models/py/tree/tree/main?recursive=True&expand=False&limit=2";
        int pages = 0;
        while (next != null) {
            Response page = absolute("GET", next, new byte[0], null);
            assertEquals(200, page.status(), page.text());
            page.json().forEach(item -> seen.add(item.get("type").asText().charAt(0) + ":" + item.get("path").asText()));
            String link = page.header("Link");
            Matcher matcher = link == null ? null : NEXT.matcher(link);
            next = matcher != null && matcher.find() ? matcher.group(1) : null;
            pages++;
        }
        assertEquals(List.of("f:a.txt", "d:b", "f:b/c.txt", "d:b/d", "f:b/d/e.txt", "f:b/f.txt", "f:g.txt"), seen);
        assertEquals(4, pages);
        JsonNode folder = get("/api/models/py/tree/tree/" + commit + "/b", null).json();
        assertEquals(List.of("b/c.txt", "b/d", "b/f.txt"), folder.findValuesAsText("path"));
        assertEquals("EntryNotFound", get("/api/models/py/tree/tree/main/nothing", null).header("X-Error-Code"));

        Response form = send("POST", "/api/models/py/tree/paths-info/main", "paths=b%2Fc.txt&paths=b&paths=zz&expand=True",
                null, "Content-Type", "application/x-www-form-urlencoded");
        assertEquals(200, form.status(), form.text());
        assertEquals(List.of("b/c.txt", "b"), form.json().findValuesAsText("path"));
        assertEquals(List.of("file", "directory"), form.json().findValuesAsText("type"));
        assertEquals(commit, form.json().get(0).get("lastCommit").get("id").asText(), "expand: the revision's commit");
        assertNull(get("/api/models/py/tree/tree/main", null).json().get(0).get("lastCommit"), "only with expand");

        // list_repo_commits: newest first, the next page from the Link header.
        commitFiles("py/tree", "main", Map.of("h.txt", utf8("h")));
        Response first = get("/api/models/py/tree/commits/main?limit=1", null);
        assertEquals(1, first.json().size());
        Matcher more = NEXT.matcher(first.header("Link"));
        assertTrue(more.find(), first.header("Link"));
        JsonNode second = absolute("GET", more.group(1), new byte[0], null).json();
        assertEquals(commit, second.get(0).get("id").asText());
        assertEquals("admin", second.get(0).get("authors").get(0).get("user").asText());
    }

    @Test
    void uploadFolderWithPythonsRequests() throws Exception {
        String token = userWithToken("pyuser", "read", "write");
        assertTrue(token.startsWith("hf_"), token);
        JsonNode me = get("/api/whoami-v2", token).json();
        assertEquals("pyuser", me.get("name").asText());
        assertEquals("write", me.get("auth").get("accessToken").get("role").asText());

        // create_repo: {"name", "organization", "private"}; the url names the repository on this hub.
        Response created = postJson("/api/repos/create", Map.of("name", "folder", "organization", "pyuser",
                "private", false), token);
        assertEquals(200, created.status(), created.text());
        assertEquals(hub.url() + "/pyuser/folder", created.json().get("url").asText());
        assertEquals(409, postJson("/api/repos/create", Map.of("name", "folder"), token).status());
        assertEquals(0, get("/api/models/pyuser/folder/tree/main", token).json().size(), "nothing committed yet");
        assertEquals(0, get("/api/models/pyuser/folder/revision/HEAD", token).json().get("siblings").size());

        byte[] text = utf8("{\"_class_name\": \"FluxTransformer2DModel\"}\n");
        byte[] binary = randomBytes(2, 200_000);
        binary[0] = 0;
        String sample = Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(binary, 512));
        Response modes = postJson("/api/models/pyuser/folder/preupload/main", Map.of("files", List.of(
                Map.of("path", "config.json", "size", text.length, "sample",
                        Base64.getEncoder().encodeToString(text)),
                Map.of("path", "weights/model.bin", "size", binary.length, "sample", sample))), token);
        assertEquals(200, modes.status(), modes.text());
        assertEquals(List.of("regular", "lfs"), modes.json().get("files").findValuesAsText("uploadMode"));

        String oid = sha256(binary);
        Response batch = send("POST", "/pyuser/folder.git/info/lfs/objects/batch", JSON.writeValueAsString(Map.of(
                "operation", "upload", "transfers", List.of("basic", "multipart"), "hash_algo", "sha256",
                "ref", Map.of("name", "main"), "objects", List.of(Map.of("oid", oid, "size", binary.length)))),
                token, "Accept", "application/vnd.git-lfs+json", "Content-Type", "application/vnd.git-lfs+json");
        assertEquals(200, batch.status(), batch.text());
        assertEquals("basic", batch.json().get("transfer").asText());
        JsonNode actions = batch.json().get("objects").get(0).get("actions");
        String upload = actions.get("upload").get("href").asText();
        String verify = actions.get("verify").get("href").asText();

        // The upload address is signed: another object, size or repository under it is refused.
        assertEquals(403, absolute("PUT", upload.replace("sig=", "sig=x"), binary, null).status());
        assertEquals(403, absolute("PUT", upload.replace("/pyuser/folder.git/", "/pyuser/other.git/"), binary, null)
                .status());
        assertEquals(400, absolute("PUT", upload, randomBytes(3, 10), null).status(), "wrong length");
        // The client sends no token to it, as to a presigned S3 address.
        Response put = absolute("PUT", upload, binary, null);
        assertEquals(200, put.status(), put.text());
        assertEquals(200, absolute("POST", verify, utf8(JSON.writeValueAsString(Map.of("oid", oid, "size",
                binary.length))), token, "Content-Type", "application/json").status());

        // Asked again, the object is there: no actions.
        Response again = send("POST", "/pyuser/folder.git/info/lfs/objects/batch", JSON.writeValueAsString(Map.of(
                "operation", "upload", "objects", List.of(Map.of("oid", oid, "size", binary.length)))), token);
        assertNull(again.json().get("objects").get(0).get("actions"), again.text());

        String ndjson = String.join("\n",
                JSON.writeValueAsString(Map.of("key", "header", "value", Map.of("summary", "Upload folder using "
                        + "huggingface_hub", "description", ""))),
                JSON.writeValueAsString(Map.of("key", "file", "value", Map.of("content",
                        Base64.getEncoder().encodeToString(text), "path", "config.json", "encoding", "base64"))),
                JSON.writeValueAsString(Map.of("key", "lfsFile", "value", Map.of("path", "weights/model.bin",
                        "algo", "sha256", "oid", oid, "size", binary.length))));
        Response commit = send("POST", "/api/models/pyuser/folder/commit/main", ndjson, token,
                "Content-Type", "application/x-ndjson");
        assertEquals(200, commit.status(), commit.text());
        String id = commit.json().get("commitOid").asText();
        assertEquals(hub.url() + "/pyuser/folder/commit/" + id, commit.json().get("commitUrl").asText());
        assertArrayEquals(binary, get("/pyuser/folder/resolve/main/weights/model.bin", null).body());
        assertArrayEquals(text, get("/pyuser/folder/resolve/main/config.json", null).body());
        assertEquals("Upload folder using huggingface_hub",
                get("/api/models/pyuser/folder/commits/main", null).json().get(0).get("title").asText());

        // delete_patterns / delete_folder: deletedFolder removes what is under it.
        Response deleted = send("POST", "/api/models/pyuser/folder/commit/main", String.join("\n",
                JSON.writeValueAsString(Map.of("key", "header", "value", Map.of("summary", "rm"))),
                JSON.writeValueAsString(Map.of("key", "deletedFolder", "value", Map.of("path", "weights/")))),
                token, "Content-Type", "application/x-ndjson");
        assertEquals(200, deleted.status(), deleted.text());
        assertEquals(List.of("config.json"), get("/api/models/pyuser/folder/tree/main?recursive=true", null)
                .json().findValuesAsText("path"));
    }

    @Test
    void aPrivateRepositoryIsA404OnEveryHuggingFaceRoute() throws Exception {
        createRepo("hidden/model", true);
        byte[] secret = randomBytes(4, 5_000);
        String commit = commitFiles("hidden/model", "main", Map.of("secret.bin", secret)).get("id").asText();
        String outsider = userWithToken("outsider", "read", "write");
        String batch = JSON.writeValueAsString(Map.of("operation", "upload",
                "objects", List.of(Map.of("oid", sha256(secret), "size", secret.length))));
        for (String token : new String[] {null, outsider}) {
            for (String path : List.of("/api/models/hidden/model", "/api/models/hidden/model/revision/main",
                    "/api/models/hidden/model/revision/" + commit, "/api/models/hidden/model/tree/main",
                    "/api/models/hidden/model/commits/main", "/api/models/hidden/model/refs",
                    "/hidden/model/resolve/main/secret.bin", "/hidden/model/raw/main/secret.bin")) {
                Response r = get(path, token);
                assertEquals(404, r.status(), path + ": " + r.text());
                assertEquals("RepoNotFound", r.header("X-Error-Code"), path);
                assertFalse(r.text().contains(commit), path);
            }
            assertEquals(404, send("HEAD", "/hidden/model/raw/main/secret.bin", "", token).status());
            assertEquals(404, postJson("/api/models/hidden/model/paths-info/main", Map.of("paths",
                    List.of("secret.bin")), token).status());
            int writeRefusal = token == null ? 401 : 404;
            assertEquals(writeRefusal, postJson("/api/models/hidden/model/preupload/main", Map.of("files",
                    List.of()), token).status());
            assertEquals(writeRefusal, send("POST", "/hidden/model.git/info/lfs/objects/batch", batch, token)
                    .status());
            assertEquals(writeRefusal, send("POST", "/api/models/hidden/model/commit/main",
                    "{\"key\":\"deletedFile\",\"value\":{\"path\":\"secret.bin\"}}", token).status());
            assertEquals(writeRefusal, send("DELETE", "/api/repos/delete", "{\"name\":\"model\",\"organization\":"
                    + "\"hidden\"}", token, "Content-Type", "application/json").status());
            assertEquals(writeRefusal, postJson("/api/repos/move", Map.of("fromRepo", "hidden/model", "toRepo",
                    "outsider/model"), token).status());
            assertFalse(get("/api/models?search=hidden", token).text().contains("hidden/model"));
        }
        assertEquals(401, get("/api/whoami-v2", null).status());
        assertArrayEquals(secret, get("/hidden/model/resolve/main/secret.bin", admin).body(), "its owner reads it");
    }

    @Test
    void knowingADigestIsNotEnoughToCommitItsBlobThroughTheLfsRoutes() throws Exception {
        createRepo("vault/private", true);
        byte[] secret = randomBytes(5, 9_000);
        commitFiles("vault/private", "main", Map.of("secret.bin", secret));
        String mallory = userWithToken("mallory", "read", "write");
        assertEquals(200, postJson("/api/repos/create", Map.of("name", "loot"), mallory).status());

        // The batch API asks her for the bytes, as for a blob the hub does not have.
        String oid = sha256(secret);
        Response batch = send("POST", "/mallory/loot.git/info/lfs/objects/batch", JSON.writeValueAsString(Map.of(
                "operation", "upload", "objects", List.of(Map.of("oid", oid, "size", secret.length)))), mallory);
        assertEquals(200, batch.status(), batch.text());
        assertNotNull(batch.json().get("objects").get(0).get("actions").get("upload"), batch.text());
        Response verify = send("POST", "/mallory/loot.git/info/lfs/objects/verify", JSON.writeValueAsString(
                Map.of("oid", oid, "size", secret.length)), mallory, "Content-Type", "application/json");
        assertEquals(404, verify.status());

        // Committing the digest without sending the bytes is the same 404 as for a blob that does not exist.
        Response commit = send("POST", "/api/models/mallory/loot/commit/main", String.join("\n",
                JSON.writeValueAsString(Map.of("key", "header", "value", Map.of("summary", "steal"))),
                JSON.writeValueAsString(Map.of("key", "lfsFile", "value", Map.of("path", "stolen.bin", "algo",
                        "sha256", "oid", oid, "size", secret.length)))), mallory,
                "Content-Type", "application/x-ndjson");
        assertEquals(404, commit.status(), commit.text());
        assertEquals(404, get("/mallory/loot/resolve/main/stolen.bin", mallory).status());
    }

    @Test
    void tokensMadeBeforeHfTokensStillWorkAndAsHfQhForTheClients() {
        try (HubStorage storage = storage()) {
            storage.tokens().create(Digest.of(utf8("qh_legacy-secret")), "legacy",
                    new TreeSet<>(List.of("read", "write")), "test", "admin");
        }
        assertEquals("admin", get("/api/whoami-v2", "qh_legacy-secret").json().get("name").asText());
        assertEquals("admin", get("/api/whoami-v2", "hf_qh_legacy-secret").json().get("name").asText());
        assertEquals(401, get("/api/whoami-v2", "hf_qh_not-a-token").status());
        assertTrue(admin.startsWith("hf_"), "serve's admin token is one HF clients accept");
    }

    @Test
    void aDeletedRepositoryCreatedAgainStartsWithNothingOfTheOld() {
        createRepo("gone/model", true);
        String old = commitFiles("gone/model", "main", Map.of("private.bin", randomBytes(6, 3_000))).get("id")
                .asText();
        Response deleted = send("DELETE", "/api/repos/delete", "{\"name\":\"model\",\"organization\":\"gone\"}",
                admin, "Content-Type", "application/json");
        assertEquals(200, deleted.status(), deleted.text());
        assertEquals(404, get("/api/models/gone/model", admin).status());

        // Created again, public: the old private commit must not resolve through it.
        createRepo("gone/model", false);
        assertEquals(404, get("/gone/model/resolve/" + old + "/private.bin", null).status());
        assertEquals(404, get("/api/models/gone/model/revision/" + old, null).status());
        assertEquals(0, get("/api/models/gone/model/refs", null).json().get("branches").size());
        assertEquals(0, get("/api/models/gone/model", null).json().get("siblings").size());
    }

    private static Response move(String from, String to, String token) {
        // huggingface_hub's move_repo: {"fromRepo", "toRepo", "type"}; the answer is only checked for its status.
        return postJson("/api/repos/move", Map.of("fromRepo", from, "toRepo", to, "type", "model"), token);
    }

    @Test
    void moveRepoRewritesTheHistoryUnderTheNewNameAndKeepsItPrivate() {
        createRepo("team/model", true);
        byte[] weights = randomBytes(7, 4_000);
        commitFiles("team/model", "main", Map.of("w.bin", weights));
        commitFiles("team/model", "main", Map.of("README.md", utf8("# model")));
        List<String> titles = get("/api/models/team/model/commits/main", admin).json().findValuesAsText("title");
        String uploadedOnly = upload("team/model", randomBytes(8, 2_000));
        String outsider = userWithToken("mover-outsider", "read", "write");

        assertEquals(401, move("team/model", "team2/renamed", null).status());
        Response hidden = move("team/model", "mover-outsider/mine", outsider);
        assertEquals(404, hidden.status(), "a private source is a 404 to who cannot see it: " + hidden.text());
        assertEquals(404, move("team/absent", "team2/renamed", admin).status());

        Response moved = move("team/model", "team2/renamed", admin);
        assertEquals(200, moved.status(), moved.text());
        assertEquals(hub.url() + "/team2/renamed", moved.json().get("url").asText().replaceAll("/$", ""));
        assertEquals(404, get("/api/models/team/model", admin).status());
        assertEquals(404, get("/api/models/team2/renamed", null).status(), "still private");
        JsonNode info = get("/api/models/team2/renamed", admin).json();
        assertTrue(info.get("private").asBoolean(), info.toString());
        assertEquals(titles, get("/api/models/team2/renamed/commits/main", admin).json().findValuesAsText("title"));
        assertArrayEquals(weights, get("/team2/renamed/resolve/main/w.bin", admin).body());

        // Git LFS's rule follows the name: the upload to the old name is committable under the new one by its owner,
        // not by a stranger who knows the digest.
        Map<String, Object> files = Map.of("u.bin", Map.of("digest", uploadedOnly, "size", 2_000));
        Response own = postJson("/api/models/team2/renamed/commits/main", Map.of("message", "u", "files", files), admin);
        assertEquals(201, own.status(), own.text());
        createRepo("mover-outsider/loot", false, outsider);
        assertEquals(404, postJson("/api/models/mover-outsider/loot/commits/main", Map.of("message", "steal",
                "files", files), outsider).status());
    }

    @Test
    void moveRepoRefusals() {
        String alice = userWithToken("mover-alice", "read", "write");
        String bob = userWithToken("mover-bob", "read", "write");
        createRepo("mover-alice/pub", false, alice);
        createRepo("mover-bob/own", false, bob);
        assertEquals(403, move("mover-alice/pub", "mover-bob/taken", bob).status(), "not hers to move");
        assertEquals(403, move("mover-bob/own", "mover-alice/gift", bob).status(), "not his namespace");
        assertEquals(409, move("mover-alice/pub", "mover-bob/own", admin).status(), "the target exists");
        assertEquals(409, move("mover-alice/pub", "mover-alice/pub", alice).status());
        assertEquals(400, move("mover-alice/pub", "no-slash", alice).status());
        assertEquals(400, move("mover-alice/pub", "a/b/c", alice).status());
        assertEquals(400, postJson("/api/repos/move", Map.of("toRepo", "mover-alice/x"), alice).status());
        assertEquals(400, postJson("/api/repos/move", Map.of("fromRepo", "mover-alice/pub", "toRepo", "mover-alice/x",
                "type", "dataset"), alice).status());
        assertEquals(200, get("/api/models/mover-alice/pub", null).status(), "refusals change nothing");
        assertEquals(200, move("mover-alice/pub", "mover-alice/renamed", alice).status());
        assertEquals(200, get("/api/models/mover-alice/renamed", null).status());
    }
}
