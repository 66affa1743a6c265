package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.minio.ListMultipartUploadsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioAsyncClient;
import io.minio.Result;
import io.minio.messages.Item;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.S3Settings;
import io.quanthub.storage.StorageOptions;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * One real hub per test class on a random loopback port, on its own S3 server (S3Proxy, filesystem backend) in a
 * temporary folder, spoken to over real HTTP. The S3 server is started here and given to the hub as an external
 * bucket, so tests can look into the bucket directly (objects, multipart uploads).
 */
abstract class HubTestSupport {
    /** Small storage parts and upload limit, so multipart and size-limit paths run with a few MiB. */
    static final int PART = StorageOptions.MIN_PART_SIZE;
    static final long MAX_UPLOAD = 16L << 20;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;
    static EmbeddedS3 s3;
    static S3Settings bucket;
    static HubServer hub;
    static String admin;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void startHub() throws IOException {
        startHub(UnaryOperator.identity());
    }

    /** For a test class that needs other settings: hide {@link #startHub()} with a method that calls this. */
    static void startHub(UnaryOperator<HubConfig> settings) throws IOException {
        s3 = EmbeddedS3.start(dataDir.resolve("s3"));
        bucket = s3.settings("hub-test");
        hub = HubServer.start(settings.apply(config(dataDir.resolve("hub"))));
        admin = Files.readString(hub.adminTokenFile()).strip();
    }

    static HubConfig config(Path data) {
        // Two HTTP instances: both share the random port.
        return HubConfig.defaults(data).withPort(0).withS3(bucket).withMaxUploadBytes(MAX_UPLOAD)
                .withHttpInstances(2).withStorage(StorageOptions.defaults().withPartSize(PART));
    }

    @AfterAll
    static void stopHub() {
        if (hub != null) hub.close();
        if (s3 != null) s3.close();
    }

    // ---- HTTP -------------------------------------------------------------------------------------------------------

    record Response(int status, HttpResponse<byte[]> raw) {
        byte[] body() {
            return raw.body();
        }

        String text() {
            return new String(raw.body(), StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(raw.body());
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + text(), e);
            }
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        /** The error message of a JSON error answer, after checking the status. */
        String error(int expectedStatus) {
            assertEquals(expectedStatus, status, text());
            return json().get("error").asText();
        }
    }

    static Response send(String method, String path, HttpRequest.BodyPublisher body, String token,
                         String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(hub.url().resolve(path)).method(method, body);
        if (token != null) request.header("Authorization", "Bearer " + token);
        if (headers.length > 0) request.headers(headers);
        try {
            HttpResponse<byte[]> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), response);
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static Response get(String path, String token, String... headers) {
        return send("GET", path, HttpRequest.BodyPublishers.noBody(), token, headers);
    }

    static Response postJson(String path, Object body, String token) {
        try {
            return send("POST", path, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)), token,
                    "Content-Type", "application/json");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    // ---- the API in a few calls ----------------------------------------------------------------------------------

    static void createRepo(String name, boolean isPrivate) {
        createRepo(name, isPrivate, admin);
    }

    static void createRepo(String name, boolean isPrivate, String token) {
        Response r = postJson("/api/repos", Map.of("name", name, "private", isPrivate), token);
        assertEquals(201, r.status(), r.text());
    }

    /** Creates a user (as the admin) and returns a token of it with the given scopes. */
    static String userWithToken(String user, String... scopes) {
        Response created = postJson("/api/users", Map.of("name", user), admin);
        assertEquals(201, created.status(), created.text());
        return token(user, scopes);
    }

    /** A new token of {@code user}, made by the admin. */
    static String token(String user, String... scopes) {
        Response r = postJson("/api/tokens", Map.of("name", user + "-" + scopes.length, "scopes", List.of(scopes),
                "user", user), admin);
        assertEquals(201, r.status(), r.text());
        assertEquals(user, r.json().get("user").asText());
        return r.json().get("token").asText();
    }

    /** Uploads bytes (with a known length) and returns the digest the hub answered. */
    static String upload(String repo, byte[] data) {
        return upload(repo, data, admin);
    }

    /** Uploads bytes with a token and returns the digest the hub answered. */
    static String upload(String repo, byte[] data, String token) {
        Response r = send("PUT", "/api/models/" + repo + "/uploads", HttpRequest.BodyPublishers.ofByteArray(data),
                token);
        assertEquals(201, r.status(), r.text());
        assertEquals(data.length, r.json().get("size").asLong());
        return r.json().get("digest").asText();
    }

    /** Commits files (path to bytes, uploaded first) on a branch and returns the commit answer. */
    static JsonNode commitFiles(String repo, String branch, Map<String, byte[]> files) {
        return commitFiles(repo, branch, files, admin);
    }

    /** Like {@link #commitFiles(String, String, Map)}, uploading and committing with {@code token}. */
    static JsonNode commitFiles(String repo, String branch, Map<String, byte[]> files, String token) {
        Map<String, Object> entries = new java.util.TreeMap<>();
        files.forEach((path, data) -> entries.put(path, Map.of("digest", upload(repo, data, token), "size",
                data.length)));
        Response r = postJson("/api/models/" + repo + "/commits/" + branch,
                Map.of("message", "add " + files.keySet(), "files", entries), token);
        assertEquals(201, r.status(), r.text());
        return r.json();
    }

    // ---- data ---------------------------------------------------------------------------------------------------

    static byte[] randomBytes(long seed, int length) {
        byte[] data = new byte[length];
        new SplittableRandom(seed).nextBytes(data);
        return data;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    // ---- looking into the bucket ----------------------------------------------------------------------------------

    static MinioAsyncClient minio() {
        return MinioAsyncClient.builder().endpoint(bucket.endpoint().toString()).region(bucket.region())
                .credentials(bucket.accessKey(), bucket.secretKey()).build();
    }

    /** Every object key in the hub's bucket. */
    static List<String> objectKeys() throws Exception {
        List<String> keys = new ArrayList<>();
        for (Result<Item> item : minio().listObjects(ListObjectsArgs.builder().bucket(bucket.bucket())
                .recursive(true).build())) {
            keys.add(item.get().objectName());
        }
        return keys;
    }

    /** Multipart uploads started and neither completed nor aborted. */
    static int pendingMultipartUploads() throws Exception {
        return minio().listMultipartUploads(ListMultipartUploadsArgs.builder().bucket(bucket.bucket()).build())
                .get().result().uploads().size();
    }

    /** A second storage client on the hub's bucket. */
    static HubStorage storage() {
        return HubStorage.open(bucket);
    }
}
