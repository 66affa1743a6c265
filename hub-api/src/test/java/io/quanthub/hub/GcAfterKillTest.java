package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.minio.ListMultipartUploadsArgs;
import io.minio.ListObjectsArgs;
import io.minio.ListPartsArgs;
import io.minio.MinioAsyncClient;
import io.minio.Result;
import io.minio.messages.Item;
import io.minio.messages.ListMultipartUploadsResult;
import io.minio.messages.Part;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.S3Settings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hub killed with SIGKILL in the middle of an upload (and of a converter's staged upload) leaves an unfinished
 * multipart upload, a staged record and leases behind; a hub started again on the same bucket collects all of it.
 */
class GcAfterKillTest {
    private static final int PART = HubProcess.OPTIONS.partSize();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    @Test
    void aRestartedHubCollectsWhatAKilledHubLeftBehind() throws Exception {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"))) {
            S3Settings bucket = s3.settings("kill-test");
            Path data = dir.resolve("hub");
            MinioAsyncClient minio = MinioAsyncClient.builder().endpoint(bucket.endpoint().toString())
                    .region(bucket.region()).credentials(bucket.accessKey(), bucket.secretKey()).build();

            Process child = startChild(bucket, data);
            URI killedHub;
            byte[] committed = randomBytes(7, 100_000);
            try {
                killedHub = awaitListening(child);
                String admin = Files.readString(data.resolve("admin-token")).strip();
                post(killedHub, "/api/repos", Map.of("name", "kill/model", "private", false), admin);
                String digest = putUpload(killedHub, admin, committed);
                post(killedHub, "/api/models/kill/model/commits/main", Map.of("message", "before the kill",
                        "files", Map.of("kept.bin", Map.of("digest", digest, "size", committed.length))), admin);

                // 64 MiB announced, 24 MiB sent: the hub streams them to S3 in 5 MiB parts, then dies.
                try (Socket socket = new Socket(killedHub.getHost(), killedHub.getPort())) {
                    OutputStream out = socket.getOutputStream();
                    out.write(("PUT /api/models/kill/model/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            + "Authorization: Bearer " + admin + "\r\nContent-Length: " + (64L << 20)
                            + "\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = randomBytes(9, 1 << 20);
                    for (int i = 0; i < 24; i++) out.write(chunk);
                    out.flush();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (partBytes(minio, bucket.bucket(), "uploads/") < 3L * PART) {
                        assertTrue(System.nanoTime() < deadline, "the hub never stored the upload's parts");
                        Thread.sleep(100);
                    }
                    child.destroyForcibly(); // SIGKILL, mid-upload
                    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                }
            } finally {
                child.destroyForcibly();
            }
            long leftParts = partBytes(minio, bucket.bucket(), "uploads/");
            List<String> leftKeys = keys(minio, bucket.bucket());
            int leftUploads = pendingUploads(minio, bucket.bucket()).size();
            System.out.printf("after kill -9: %d unfinished multipart uploads holding %d bytes; leases %d, staged "
                            + "records %d%n", leftUploads, leftParts, count(leftKeys, "leases/"),
                    count(leftKeys, "staged/"));
            assertEquals(2, leftUploads, "the hub's upload and the converter's staged upload");
            assertTrue(count(leftKeys, "leases/") >= 2 && count(leftKeys, "staged/") == 1, leftKeys.toString());

            Thread.sleep(2500); // the killed process's 2-second leases run out
            try (HubServer restarted = HubServer.start(HubConfig.defaults(data).withPort(0).withS3(bucket)
                    .withStorage(HubProcess.OPTIONS))) {
                String admin = Files.readString(restarted.adminTokenFile()).strip();
                HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(
                                restarted.url().resolve("/api/admin/gc?grace=0"))
                        .header("Authorization", "Bearer " + admin).POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, answer.statusCode(), answer.body());
                JsonNode report = JSON.readTree(answer.body());
                System.out.println("GC after kill -9 (grace 0): " + report);

                assertEquals(2, report.get("abortedUploads").asInt(), report.toString());
                assertTrue(report.get("stagedObjects").asInt() >= 1, report.toString());
                assertTrue(report.get("leases").asInt() >= 2, report.toString());
                assertTrue(report.get("reclaimedBytes").asLong() >= leftParts, report.toString());
                assertTrue(report.get("reclaimedBytes").asLong() > 0);
                assertEquals(List.of(), pendingUploads(minio, bucket.bucket()));
                List<String> keys = keys(minio, bucket.bucket());
                assertEquals(0, count(keys, "leases/") + count(keys, "staged/") + count(keys, "uploads/"),
                        keys.toString());

                HttpResponse<byte[]> kept = HTTP.send(HttpRequest.newBuilder(
                        restarted.url().resolve("/kill/model/resolve/main/kept.bin")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, kept.statusCode());
                assertEquals(sha256(committed), sha256(kept.body()), "the committed file survives");
            }
        }
    }

    private static Process startChild(S3Settings bucket, Path data) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), HubProcess.class.getName(), data.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // The credentials go through the environment, not the command line.
        Map<String, String> env = builder.environment();
        env.put("QUANTHUB_S3_ENDPOINT", bucket.endpoint().toString());
        env.put("QUANTHUB_S3_REGION", bucket.region());
        env.put("QUANTHUB_S3_BUCKET", bucket.bucket());
        env.put("QUANTHUB_S3_ACCESS_KEY", bucket.accessKey());
        env.put("QUANTHUB_S3_SECRET_KEY", bucket.secretKey());
        return builder.start();
    }

    /** Reads the child's output until it says where it listens. */
    private static URI awaitListening(Process child) throws Exception {
        BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = lines.readLine()) != null; ) {
            seen.append(line).append('\n');
            if (line.startsWith("listening on ")) {
                // Keep draining the output so that the child never blocks on a full pipe.
                Thread.ofVirtual().start(() -> lines.lines().forEach(l -> { }));
                return URI.create(line.substring("listening on ".length()));
            }
        }
        throw new AssertionError("the hub process ended before listening:\n" + seen);
    }

    private static String putUpload(URI hub, String token, byte[] data) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(hub.resolve("/api/models/kill/model/uploads"))
                .header("Authorization", "Bearer " + token).PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("digest").asText();
    }

    private static void post(URI hub, String path, Object body, String token) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(hub.resolve(path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
    }

    private static List<ListMultipartUploadsResult.Upload> pendingUploads(MinioAsyncClient minio, String bucket)
            throws Exception {
        return minio.listMultipartUploads(ListMultipartUploadsArgs.builder().bucket(bucket).build()).get().result()
                .uploads();
    }

    /** The bytes of the parts stored so far by unfinished uploads under {@code prefix}. */
    private static long partBytes(MinioAsyncClient minio, String bucket, String prefix) throws Exception {
        long bytes = 0;
        for (ListMultipartUploadsResult.Upload u : pendingUploads(minio, bucket)) {
            if (!u.objectName().startsWith(prefix)) continue;
            for (Part p : minio.listParts(ListPartsArgs.builder().bucket(bucket).object(u.objectName())
                    .uploadId(u.uploadId()).build()).get().result().parts()) {
                bytes += p.partSize();
            }
        }
        return bytes;
    }

    private static List<String> keys(MinioAsyncClient minio, String bucket) throws Exception {
        List<String> keys = new ArrayList<>();
        for (Result<Item> item : minio.listObjects(ListObjectsArgs.builder().bucket(bucket).recursive(true).build())) {
            keys.add(item.get().objectName());
        }
        return keys;
    }

    private static long count(List<String> keys, String prefix) {
        return keys.stream().filter(k -> k.startsWith(prefix)).count();
    }

    private static byte[] randomBytes(long seed, int length) {
        byte[] data = new byte[length];
        new SplittableRandom(seed).nextBytes(data);
        return data;
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
