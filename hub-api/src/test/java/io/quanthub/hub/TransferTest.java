package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quanthub.storage.Digest;
import io.quanthub.storage.HubStorage;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Uploads and downloads: streaming, digests, ranges, HEAD, size limits, interrupted uploads. */
class TransferTest extends HubTestSupport {
    /** Three storage parts: the multipart path with a staged copy. */
    static final byte[] BIG = randomBytes(1, 11 << 20);
    static String commit;

    @BeforeAll
    static void pushBigFile() {
        createRepo("xfer/model", false);
        commit = commitFiles("xfer/model", "main", Map.of("weights/big.bin", BIG, "empty.txt", new byte[0]))
                .get("id").asText();
    }

    @Test
    void multiMegabyteRoundTripKeepsEveryByte() {
        Response r = get("/xfer/model/resolve/main/weights/big.bin", null);
        assertEquals(200, r.status());
        assertEquals(sha256(BIG), sha256(r.body()));
        assertEquals("\"" + sha256(BIG) + "\"", r.header("ETag"));
        assertEquals(commit, r.header("X-Repo-Commit"));
        assertEquals(Integer.toString(BIG.length), r.header("Content-Length"));
        assertEquals("bytes", r.header("Accept-Ranges"));

        // By commit id too, and the same bytes when uploaded without a known length (chunked).
        assertEquals(sha256(BIG), sha256(get("/xfer/model/resolve/" + commit + "/weights/big.bin", null).body()));
        Response chunked = send("PUT", "/api/models/xfer/model/uploads",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(BIG)), admin);
        assertEquals(201, chunked.status(), chunked.text());
        assertEquals("sha256:" + sha256(BIG), chunked.json().get("digest").asText());

        Response empty = get("/xfer/model/resolve/main/empty.txt", null);
        assertEquals(200, empty.status());
        assertEquals(0, empty.body().length);
        assertEquals("\"" + sha256(new byte[0]) + "\"", empty.header("ETag"));
    }

    @Test
    void announcedDigestIsVerified() {
        byte[] data = "checked".getBytes();
        Response ok = send("PUT", "/api/models/xfer/model/uploads", HttpRequest.BodyPublishers.ofByteArray(data),
                admin, "X-Content-Sha256", sha256(data));
        assertEquals(201, ok.status(), ok.text());
        Response wrong = send("PUT", "/api/models/xfer/model/uploads", HttpRequest.BodyPublishers.ofByteArray(data),
                admin, "X-Content-Sha256", "sha256:" + sha256("other".getBytes()));
        assertTrue(wrong.error(400).contains("hashes to"), wrong.text());
        send("PUT", "/api/models/xfer/model/uploads", HttpRequest.BodyPublishers.ofByteArray(data), admin,
                "X-Content-Sha256", "nope").error(400);
    }

    @Test
    void rangeRequests() {
        String path = "/xfer/model/resolve/main/weights/big.bin";
        Response head = get(path, null, "Range", "bytes=0-99");
        assertEquals(206, head.status());
        assertArrayEquals(Arrays.copyOfRange(BIG, 0, 100), head.body());
        assertEquals("bytes 0-99/" + BIG.length, head.header("Content-Range"));
        assertEquals("100", head.header("Content-Length"));

        int from = 5_000_000;
        Response middle = get(path, null, "Range", "bytes=" + from + "-" + (from + 1_234_566));
        assertEquals(206, middle.status());
        assertArrayEquals(Arrays.copyOfRange(BIG, from, from + 1_234_567), middle.body());

        Response suffix = get(path, null, "Range", "bytes=-1000");
        assertEquals(206, suffix.status());
        assertArrayEquals(Arrays.copyOfRange(BIG, BIG.length - 1000, BIG.length), suffix.body());
        assertEquals("bytes " + (BIG.length - 1000) + "-" + (BIG.length - 1) + "/" + BIG.length,
                suffix.header("Content-Range"));

        Response openEnded = get(path, null, "Range", "bytes=" + (BIG.length - 10) + "-");
        assertArrayEquals(Arrays.copyOfRange(BIG, BIG.length - 10, BIG.length), openEnded.body());
        Response clamped = get(path, null, "Range", "bytes=" + (BIG.length - 5) + "-" + (BIG.length + 100));
        assertEquals(5, clamped.body().length);

        Response unsatisfiable = get(path, null, "Range", "bytes=" + BIG.length + "-");
        assertEquals(416, unsatisfiable.status());
        assertEquals("bytes */" + BIG.length, unsatisfiable.header("Content-Range"));
        assertEquals(416, get(path, null, "Range", "bytes=-0").status());
        assertEquals(416, get("/xfer/model/resolve/main/empty.txt", null, "Range", "bytes=0-").status());

        // Several ranges or nonsense: the whole file.
        assertEquals(200, get(path, null, "Range", "bytes=0-1,5-6").status());
        assertEquals(200, get(path, null, "Range", "lines=1-2").status());
    }

    @Test
    void conditionalRequestsNeverMixTwoVersions() {
        String path = "/xfer/model/resolve/main/weights/big.bin";
        String etag = "\"" + sha256(BIG) + "\"";
        String stale = "\"" + sha256("an older version".getBytes()) + "\"";

        // If-Range with the file's ETag: the range; with a stale tag or a date: the whole current file.
        Response same = get(path, null, "Range", "bytes=100-199", "If-Range", etag);
        assertEquals(206, same.status());
        assertArrayEquals(Arrays.copyOfRange(BIG, 100, 200), same.body());
        Response changed = get(path, null, "Range", "bytes=100-199", "If-Range", stale);
        assertEquals(200, changed.status());
        assertEquals(sha256(BIG), sha256(changed.body()));
        assertEquals(null, changed.header("Content-Range"));
        assertEquals(200, get(path, null, "Range", "bytes=100-199", "If-Range", "Sun, 06 Dec 2026 21:00:00 GMT")
                .status());

        // If-Match: a mismatch is 412 (GET and HEAD); the file's ETag or * proceeds.
        assertTrue(get(path, null, "If-Match", stale).error(412).contains("does not match"));
        assertEquals(412, send("HEAD", path, HttpRequest.BodyPublishers.noBody(), null, "If-Match", stale).status());
        assertEquals(200, get(path, null, "If-Match", etag).status());
        assertEquals(206, get(path, null, "If-Match", "*", "Range", "bytes=0-0").status());

        // A range that starts past the end: 416.
        assertEquals(416, get(path, null, "Range", "bytes=" + (BIG.length + 1) + "-", "If-Range", etag).status());
    }

    @Test
    void headAnswersWithTheHeadersOnly() {
        Response head = send("HEAD", "/xfer/model/resolve/main/weights/big.bin", HttpRequest.BodyPublishers.noBody(),
                null);
        assertEquals(200, head.status());
        assertEquals(0, head.body().length);
        assertEquals(Integer.toString(BIG.length), head.header("Content-Length"));
        assertEquals(Integer.toString(BIG.length), head.header("X-Linked-Size"));
        assertEquals(commit, head.header("X-Repo-Commit"));
        assertEquals("\"" + sha256(BIG) + "\"", head.header("ETag"));
        assertTrue(head.header("Content-Disposition").contains("filename=\"big.bin\""));

        Response missing = send("HEAD", "/xfer/model/resolve/main/nothing.bin", HttpRequest.BodyPublishers.noBody(),
                null);
        assertEquals(404, missing.status());
        assertEquals(304, get("/xfer/model/resolve/main/weights/big.bin", null,
                "If-None-Match", "\"" + sha256(BIG) + "\"").status());
        get("/xfer/model/resolve/nobranch/weights/big.bin", null).error(404);
    }

    @Test
    void oversizeUploadsAre413AndLeaveNothingBehind() throws Exception {
        byte[] tooBig = randomBytes(2, (int) MAX_UPLOAD + 1);
        List<String> before = objectKeys();

        // Declared length over the limit: refused before a byte is stored.
        Response declared = send("PUT", "/api/models/xfer/model/uploads",
                HttpRequest.BodyPublishers.ofByteArray(tooBig), admin);
        assertTrue(declared.error(413).contains("larger than the limit of " + MAX_UPLOAD), declared.text());
        // Unknown length: found out while streaming, after several parts went to S3.
        Response streamed = send("PUT", "/api/models/xfer/model/uploads",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(tooBig)), admin);
        assertTrue(streamed.error(413).contains("larger than the limit"), streamed.text());

        assertEquals(before, objectKeys());
        assertEquals(0, pendingMultipartUploads());
        try (HubStorage storage = storage()) {
            assertFalse(storage.blobs().exists(new Digest(sha256(tooBig))));
        }
        // The connection and the hub are fine afterwards.
        assertEquals(200, get("/health", null).status());
    }

    @Test
    void anUploadCutShortIsAbortedInStorage() throws Exception {
        List<String> before = objectKeys();
        String metric = "quanthub_uploads_total{result=\"failed\"}";
        double failedBefore = metricValue(metric);
        try (Socket socket = new Socket(hub.url().getHost(), hub.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /api/models/xfer/model/uploads HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + admin + "\r\nContent-Length: " + (12 << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(randomBytes(3, 7 << 20)); // more than one storage part, then the client vanishes
            out.flush();
        }
        // The abort runs after the socket closes; wait for the hub to count the failed upload.
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (metricValue(metric) == failedBefore && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(failedBefore + 1, metricValue(metric));
        assertEquals(before, objectKeys());
        assertEquals(0, pendingMultipartUploads());
    }

    @Test
    void uploadsNeedAnExistingVisibleRepository() {
        send("PUT", "/api/models/xfer/none/uploads", HttpRequest.BodyPublishers.ofString("x"), admin).error(404);
        send("PUT", "/api/models/xfer/model/uploads", HttpRequest.BodyPublishers.ofString("x"), admin,
                "Content-Type", "application/octet-stream").json().get("digest").asText();
    }

    /** A sample of the Prometheus text, 0 when the series is not there yet. */
    static double metricValue(String series) {
        for (String line : get("/metrics", null).text().split("\n")) {
            if (line.startsWith(series + " ")) return Double.parseDouble(line.substring(series.length() + 1));
        }
        return 0;
    }
}
