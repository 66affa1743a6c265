package io.quanthub.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quanthub.cluster.JobService;
import io.quanthub.hub.ClusterConfig;
import io.quanthub.hub.HubConfig;
import io.quanthub.hub.HubServer;
import io.quanthub.storage.StorageOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Hugging Face JS clients, {@code @huggingface/hub} 2.17.5 and {@code @huggingface/gguf} 0.4.6 (installed
 * by scripts/test.sh into {@code .cache/hfjs}), driven by node against a hub in this process with {@code hubUrl}:
 * every call QuantHub supports, pushes with the client pulled with {@code quanthub pull} and the other way round, and
 * a quant level the hub produced parsed by {@code @huggingface/gguf} over HTTP ranges.
 */
class HfClientsTest {
    private static final Path TESTDATA = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"));
    private static final Path FLUX_TINY = TESTDATA.resolve("flux-tiny/model.safetensors");
    private static final Path HFJS = Path.of(System.getProperty("hfjs.dir", "../.cache/hfjs")).toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    static HubServer hub;
    static String admin;
    static Path script;

    @BeforeAll
    static void startHub() throws IOException {
        assertTrue(Files.isRegularFile(HFJS.resolve("node_modules/@huggingface/hub/package.json")),
                "the Hugging Face JS clients are not installed in " + HFJS + ": run scripts/test.sh");
        JobService.Options options = JobService.Options.defaults(JobService.CONVERTER_VERSION)
                .withPartSize(StorageOptions.MIN_PART_SIZE).withWorkers(1);
        hub = HubServer.start(HubConfig.defaults(dir.resolve("hub")).withPort(0)
                .withCluster(ClusterConfig.defaults().withPort(0).withOptions(options)));
        admin = Files.readString(hub.adminTokenFile()).strip();
        script = dir.resolve("hf.mjs");
        try (InputStream in = HfClientsTest.class.getResourceAsStream("/hfjs/hf.mjs")) {
            Files.copy(in, script);
        }
    }

    @AfterAll
    static void stopHub() {
        if (hub != null) hub.close();
    }

    /** Runs one client call; fails the test unless it succeeded. */
    private static JsonNode js(String call, Map<String, Object> args) {
        JsonNode result = jsResult(call, args);
        assertFalse(result.has("error"), call + " failed: " + result);
        return result;
    }

    /** Runs one client call with the admin's token; the answer, or {@code {error, statusCode}}. */
    private static JsonNode jsResult(String call, Map<String, Object> args) {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("hubUrl", hub.url().toString());
        all.put("accessToken", admin);
        all.putAll(args);
        try {
            Process node = new ProcessBuilder("node", script.toString(), HFJS.toString(), call,
                    JSON.writeValueAsString(all)).redirectErrorStream(false).start();
            byte[] out = node.getInputStream().readAllBytes();
            String err = new String(node.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(node.waitFor(120, TimeUnit.SECONDS), call + " did not finish");
            String text = new String(out, StandardCharsets.UTF_8).strip();
            assertFalse(text.isEmpty(), call + " printed nothing; stderr: " + err);
            return JSON.readTree(text.lines().reduce((a, b) -> b).orElseThrow());
        } catch (IOException e) {
            throw new AssertionError("node " + call + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static Cli cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--hub", hub.url().toString(), "--token", admin));
        return Cli.run(all.toArray(String[]::new));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> paths(JsonNode items, String type) {
        List<String> paths = new ArrayList<>();
        items.forEach(item -> {
            if (item.get("type").asText().equals(type)) paths.add(item.get("path").asText());
        });
        return paths;
    }

    @Test
    void theJsClientPushesReadsAndDeletesAndQuanthubPullsWhatItPushed() throws Exception {
        assertTrue(admin.startsWith("hf_"), "the admin token is one the JS client accepts");
        JsonNode me = js("whoAmI", Map.of());
        assertEquals("admin", me.get("name").asText());
        assertEquals("write", me.get("role").asText());

        String repo = "admin/js-pushed";
        JsonNode created = js("createRepo", Map.of("repo", repo));
        assertEquals(hub.url() + "/" + repo, created.get("repoUrl").asText());

        byte[] big = new byte[3 << 20]; // several MiB: an LFS object
        new SplittableRandom(7).nextBytes(big);
        Path bigFile = Files.write(dir.resolve("big.bin"), big);
        String readme = "# flux-tiny\npushed with @huggingface/hub\n";
        JsonNode pushed = js("uploadFiles", Map.of("repo", repo, "title", "flux-tiny from JS", "files", List.of(
                Map.of("path", "README.md", "text", readme),
                Map.of("path", "model.safetensors", "file", FLUX_TINY.toString()),
                Map.of("path", "data/big.bin", "file", bigFile.toString()))));
        String commit = pushed.get("commit").asText();
        assertEquals(hub.url() + "/" + repo + "/commit/" + commit, pushed.get("url").asText());

        JsonNode info = js("modelInfo", Map.of("repo", repo));
        assertEquals(repo, info.get("name").asText());
        assertEquals(commit, info.get("sha").asText());
        assertFalse(info.get("private").asBoolean());
        assertEquals(List.of("README.md", "data/big.bin", "model.safetensors"), texts(info.get("filePaths")));

        JsonNode files = js("listFiles", Map.of("repo", repo, "recursive", true));
        assertEquals(List.of("README.md", "data/big.bin", "model.safetensors"), paths(files, "file"));
        assertEquals(List.of("data"), paths(files, "directory"));
        for (JsonNode file : files) {
            if (file.get("path").asText().equals("data/big.bin")) {
                assertEquals(big.length, file.get("size").asLong());
                assertEquals(sha256(big), file.get("lfs").get("oid").asText());
            }
        }
        JsonNode top = js("listFiles", Map.of("repo", repo, "recursive", false));
        assertEquals(List.of("README.md", "model.safetensors"), paths(top, "file"));

        JsonNode commits = js("listCommits", Map.of("repo", repo, "batchSize", 1));
        assertEquals(1, commits.size());
        assertEquals(commit, commits.get(0).get("oid").asText());
        assertEquals("flux-tiny from JS", commits.get(0).get("title").asText());
        assertEquals("admin", commits.get(0).get("authors").get(0).get("username").asText());

        JsonNode pathsInfo = js("pathsInfo", Map.of("repo", repo, "paths", List.of("README.md", "data", "nothing")));
        assertEquals(2, pathsInfo.size());
        assertEquals("file", pathsInfo.get(0).get("type").asText());
        assertEquals("directory", pathsInfo.get(1).get("type").asText());

        assertTrue(js("fileExists", Map.of("repo", repo, "path", "model.safetensors")).get("exists").asBoolean());
        assertFalse(js("fileExists", Map.of("repo", repo, "path", "missing.gguf")).get("exists").asBoolean());
        assertTrue(js("fileDownloadInfo", Map.of("repo", repo, "path", "missing.gguf")).get("missing").asBoolean());
        byte[] model = Files.readAllBytes(FLUX_TINY);
        JsonNode download = js("fileDownloadInfo", Map.of("repo", repo, "path", "model.safetensors"));
        assertEquals(model.length, download.get("size").asLong());
        assertEquals("\"" + sha256(model) + "\"", download.get("etag").asText());
        JsonNode bytes = js("downloadFile", Map.of("repo", repo, "path", "data/big.bin"));
        assertEquals(sha256(big), bytes.get("sha256").asText());
        JsonNode text = js("downloadFile", Map.of("repo", repo, "path", "README.md", "revision", commit));
        assertEquals(sha256(readme.getBytes(StandardCharsets.UTF_8)), text.get("sha256").asText());

        // quanthub pulls what the JS client pushed, byte for byte.
        Path cache = dir.resolve("cache");
        Cli pull = cli("pull", repo, "--cache-dir", cache.toString(), "--no-progress");
        assertEquals(0, pull.exit(), pull.err());
        Path snapshot = cache.resolve("models--admin--js-pushed/snapshots/" + commit);
        assertArrayEquals(model, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertArrayEquals(big, Files.readAllBytes(snapshot.resolve("data/big.bin")));

        // The JS client's snapshot of the repository: the same files in the same cache layout.
        Path jsCache = dir.resolve("js-cache");
        JsonNode snapshotFolder = js("snapshotDownload", Map.of("repo", repo, "cacheDir", jsCache.toString()));
        Path jsSnapshot = Path.of(snapshotFolder.get("folder").asText());
        assertEquals(jsCache.resolve("models--admin--js-pushed/snapshots/" + commit), jsSnapshot);
        for (String path : List.of("README.md", "model.safetensors", "data/big.bin")) {
            assertArrayEquals(Files.readAllBytes(snapshot.resolve(path)), Files.readAllBytes(jsSnapshot.resolve(path)),
                    path);
        }

        // A level the hub produces is one more file to the client, and @huggingface/gguf reads it by ranges.
        Cli quant = cli("pull", repo + ":Q4_0", "--cache-dir", cache.toString(), "--no-progress");
        assertEquals(0, quant.exit(), quant.err());
        JsonNode withQuant = js("listFiles", Map.of("repo", repo, "recursive", true));
        assertTrue(paths(withQuant, "file").contains("js-pushed-Q4_0.gguf"), withQuant.toString());
        JsonNode parsed = js("gguf", Map.of("repo", repo, "path", "js-pushed-Q4_0.gguf"));
        assertEquals("flux", parsed.get("architecture").asText());
        assertEquals(2, parsed.get("fileType").asInt()); // LLAMA_FTYPE_MOSTLY_Q4_0
        assertTrue(parsed.get("tensors").asInt() > 10, parsed.toString());
        assertEquals(parsed.get("tensorCount").asInt(), parsed.get("tensors").asInt());
        JsonNode quantBytes = js("downloadFile", Map.of("repo", repo, "path", "js-pushed-Q4_0.gguf"));
        Path pulledQuant = Files.list(cache.resolve("models--admin--js-pushed/snapshots")).findFirst().orElseThrow()
                .resolve("js-pushed-Q4_0.gguf");
        assertEquals(sha256(Files.readAllBytes(pulledQuant)), quantBytes.get("sha256").asText());

        // A deletion with the client is a commit; deleting the repository makes every call a 404.
        JsonNode deleted = js("deleteFile", Map.of("repo", repo, "path", "data/big.bin"));
        assertNotNull(deleted.get("commit"));
        assertFalse(js("fileExists", Map.of("repo", repo, "path", "data/big.bin")).get("exists").asBoolean());
        js("deleteRepo", Map.of("repo", repo));
        assertEquals(404, jsResult("modelInfo", Map.of("repo", repo)).get("statusCode").asInt());
        assertEquals(404, jsResult("listFiles", Map.of("repo", repo)).get("statusCode").asInt());
    }

    @Test
    void whatQuanthubPushesTheJsClientReads() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("cli-pushed"));
        byte[] model = Files.readAllBytes(FLUX_TINY);
        Files.write(folder.resolve("model.safetensors"), model);
        Files.createDirectories(folder.resolve("docs"));
        Files.writeString(folder.resolve("docs/notes.txt"), "pushed with quanthub\n");
        Cli push = cli("push", folder.toString(), "--repo", "admin/cli-pushed", "--create", "-m", "from quanthub",
                "--no-progress");
        assertEquals(0, push.exit(), push.err());

        JsonNode files = js("listFiles", Map.of("repo", "admin/cli-pushed", "recursive", true));
        // Levels the hub produced from the same source for another repository are listed too (variants are shared
        // by content), under this repository's names.
        assertEquals(List.of("docs/notes.txt", "model.safetensors"), paths(files, "file").stream()
                .filter(path -> !path.matches("cli-pushed-[A-Z0-9_]+\\.gguf")).toList());
        JsonNode bytes = js("downloadFile", Map.of("repo", "admin/cli-pushed", "path", "model.safetensors"));
        assertEquals(sha256(model), bytes.get("sha256").asText());
        JsonNode commits = js("listCommits", Map.of("repo", "admin/cli-pushed"));
        assertEquals("from quanthub", commits.get(0).get("title").asText());
        assertTrue(js("listModels", Map.of("query", "cli-pushed")).toString().contains("admin/cli-pushed"));
    }

    @Test
    void aPrivateRepositoryIsA404ToTheJsClientWithoutAReadToken() throws Exception {
        js("createRepo", Map.of("repo", "admin/js-private", "private", true));
        js("uploadFiles", Map.of("repo", "admin/js-private", "files",
                List.of(Map.of("path", "secret.txt", "text", "private bytes\n"))));
        assertTrue(js("modelInfo", Map.of("repo", "admin/js-private")).get("private").asBoolean());

        // Another user's token (hf_..., accepted by the client): nothing of the repository exists for it.
        HttpResponse<String> user = post("/api/users", "{\"name\": \"mallory\"}");
        assertEquals(201, user.statusCode(), user.body());
        HttpResponse<String> token = post("/api/tokens",
                "{\"name\": \"m\", \"scopes\": [\"read\", \"write\"], \"user\": \"mallory\"}");
        assertEquals(201, token.statusCode(), token.body());
        String mallory = JSON.readTree(token.body()).get("token").asText();
        assertTrue(mallory.startsWith("hf_"), mallory);
        for (String call : List.of("modelInfo", "listFiles", "listCommits")) {
            JsonNode refused = jsResult(call, Map.of("repo", "admin/js-private", "accessToken", mallory));
            assertEquals(404, refused.get("statusCode").asInt(), call + ": " + refused);
        }
        assertFalse(js("fileExists", Map.of("repo", "admin/js-private", "path", "secret.txt", "accessToken", mallory))
                .get("exists").asBoolean());
        JsonNode upload = jsResult("uploadFiles", Map.of("repo", "admin/js-private", "accessToken", mallory,
                "files", List.of(Map.of("path", "evil.txt", "text", "x"))));
        assertEquals(404, upload.get("statusCode").asInt(), upload.toString());
        JsonNode delete = jsResult("deleteRepo", Map.of("repo", "admin/js-private", "accessToken", mallory));
        assertEquals(404, delete.get("statusCode").asInt(), delete.toString());
        assertFalse(js("listModels", Map.of("query", "js-private", "accessToken", mallory)).toString()
                .contains("js-private"));
        assertTrue(js("fileExists", Map.of("repo", "admin/js-private", "path", "secret.txt")).get("exists")
                .asBoolean(), "still there for its owner");
    }

    private static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(hub.url() + path))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }
}
