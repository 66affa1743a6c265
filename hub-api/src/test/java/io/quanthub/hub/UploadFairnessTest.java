package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Uploads cannot starve each other: slow clients of one user hold at most that user's share of the upload slots
 * (429 beyond it), so other users' uploads go through; a client that stops sending is answered 408 and leaves
 * nothing in storage.
 */
class UploadFairnessTest extends HubTestSupport {
    static final int PER_USER = 4;
    static final Duration IDLE = Duration.ofSeconds(3);
    static final String REPO = "fair/model";

    /** Open slow uploads get one more byte every second (1 byte/s each). */
    static final List<SlowUpload> trickling = new CopyOnWriteArrayList<>();
    static ScheduledExecutorService trickler;

    @BeforeAll
    static void startHub() throws IOException {
        startHub(config -> config.withMaxUploadsPerUser(PER_USER).withUploadIdleTimeout(IDLE));
        assertEquals(201, postJson("/api/orgs", Map.of("name", "fair"), admin).status());
        createRepo(REPO, false);
        trickler = Executors.newSingleThreadScheduledExecutor();
        trickler.scheduleAtFixedRate(() -> trickling.forEach(SlowUpload::trickle), 1, 1, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopTrickling() {
        if (trickler != null) trickler.shutdownNow();
    }

    @AfterEach
    void closeSlowUploads() {
        trickling.forEach(SlowUpload::close);
        trickling.clear();
    }

    @Test
    void eighteenSlowUploadsDoNotStallAnotherUsersUpload() throws Exception {
        List<SlowUpload> slow = new ArrayList<>();
        for (String user : List.of("slow-a", "slow-b")) {
            String token = writeToken(user);
            for (int i = 0; i < 9; i++) slow.add(SlowUpload.start(token, 1_000));
        }
        Thread.sleep(1_000); // let the hub take them in before the normal upload (not a timing assertion)

        byte[] data = randomBytes(7, 3 << 20);
        long start = System.nanoTime();
        Response normal = send("PUT", "/api/models/" + REPO + "/uploads",
                HttpRequest.BodyPublishers.ofByteArray(data), writeToken("carol"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(201, normal.status(), normal.text());
        System.out.printf(Locale.ROOT, "upload latency of 3 MiB under 18 slow uploads (1 byte/s): %d ms%n", millis);

        int refused = 0;
        int stalled = 0;
        for (SlowUpload upload : slow) {
            Answer answer = upload.answer(100);
            if (answer == null) stalled++;
            else if (answer.status() == 429) refused++;
            else throw new AssertionError("a slow upload was answered " + answer);
        }
        // Each slow user holds its share and no more; those still stalled were not what held the upload up.
        assertEquals(2 * PER_USER, stalled);
        assertEquals(18 - 2 * PER_USER, refused);
    }

    @Test
    void aUserOverItsShareGets429AndOthersStillUpload() throws Exception {
        String greedy = writeToken("greedy");
        List<SlowUpload> slow = new ArrayList<>();
        for (int i = 0; i <= PER_USER; i++) slow.add(SlowUpload.start(greedy, 1_000));

        // Exactly one of the PER_USER + 1 is over the share.
        Answer refused = null;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (refused == null && System.nanoTime() < deadline) {
            for (SlowUpload upload : slow) {
                Answer a = upload.answer(20);
                if (a != null) {
                    refused = a;
                    slow.remove(upload);
                    break;
                }
            }
        }
        assertNotNull(refused, "no upload over the share was refused");
        assertEquals(429, refused.status(), refused.toString());
        assertTrue(refused.body().contains("greedy already runs " + PER_USER + " uploads"), refused.body());
        assertEquals(429, send("PUT", "/api/models/" + REPO + "/uploads", HttpRequest.BodyPublishers.ofString("x"),
                greedy).status());

        assertEquals(201, send("PUT", "/api/models/" + REPO + "/uploads", HttpRequest.BodyPublishers.ofString("x"),
                writeToken("modest")).status());

        // A finished (here: aborted) upload gives its share back.
        slow.getFirst().close();
        int status = 0;
        while (status != 201 && System.nanoTime() < deadline) {
            status = send("PUT", "/api/models/" + REPO + "/uploads", HttpRequest.BodyPublishers.ofString("y"), greedy)
                    .status();
            if (status != 201) Thread.sleep(50);
        }
        assertEquals(201, status);
    }

    @Test
    void anIdleUploadIsAnswered408AndLeavesNothing() throws Exception {
        List<String> before = objectKeys();
        try (SlowUpload idle = SlowUpload.open(admin, 12 << 20)) {
            idle.send(randomBytes(9, 6 << 20)); // more than one storage part: a multipart upload is under way
            Answer answer = idle.answer(30_000);
            assertNotNull(answer, "the idle upload got no answer");
            assertEquals(408, answer.status(), answer.toString());
            assertTrue(answer.body().contains("no bytes of the upload arrived for " + IDLE.toSeconds() + " s"),
                    answer.body());
        }
        assertEquals(before, objectKeys()); // no blob, no staged object, no lease
        assertEquals(0, pendingMultipartUploads());
        assertTrue(TransferTest.metricValue("quanthub_uploads_total{result=\"timed_out\"}") >= 1);
    }

    /** A write token of a new user {@code name}, a writing member of the organisation that owns {@link #REPO}. */
    static String writeToken(String name) {
        String token = userWithToken(name, "write");
        Response joined = send("PUT", "/api/orgs/fair/members/" + name, HttpRequest.BodyPublishers.noBody(), admin);
        assertEquals(200, joined.status(), joined.text());
        return token;
    }

    record Answer(int status, String body) {}

    /** A {@code PUT .../uploads} over a raw socket whose body is sent by hand, or one byte a second. */
    static final class SlowUpload implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private Answer answer;

        private SlowUpload(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        /** Sends the headers of an upload of {@code length} bytes; the body trickles in at 1 byte/s. */
        static SlowUpload start(String token, long length) throws IOException {
            SlowUpload upload = open(token, length);
            trickling.add(upload);
            return upload;
        }

        /** Sends the headers of an upload of {@code length} bytes; the body is up to the caller. */
        static SlowUpload open(String token, long length) throws IOException {
            SlowUpload upload = new SlowUpload(new Socket(hub.url().getHost(), hub.port()));
            upload.send(("PUT /api/models/" + REPO + "/uploads HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + token + "\r\nContent-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return upload;
        }

        synchronized void send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        void trickle() {
            try {
                send(new byte[] {'x'});
            } catch (IOException e) {
                trickling.remove(this); // answered and cut by the hub
            }
        }

        /** The hub's answer, waiting up to {@code millis} for its first byte; null when none came. */
        Answer answer(int millis) throws IOException {
            if (answer != null) return answer;
            InputStream in = socket.getInputStream();
            socket.setSoTimeout(millis);
            int first;
            try {
                first = in.read();
            } catch (SocketTimeoutException e) {
                return null;
            }
            if (first < 0) throw new IOException("connection closed without an answer");
            socket.setSoTimeout(10_000); // the rest of the answer follows at once
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.write(first);
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) head.write(in.read());
            String headers = head.toString(StandardCharsets.US_ASCII);
            int length = 0;
            for (String line : headers.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).strip());
                }
            }
            answer = new Answer(Integer.parseInt(headers.split(" ")[1]),
                    new String(in.readNBytes(length), StandardCharsets.UTF_8));
            return answer;
        }

        @Override
        public void close() {
            trickling.remove(this);
            try {
                socket.close();
            } catch (IOException e) {
                // Closed already.
            }
        }
    }
}
