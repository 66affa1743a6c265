package io.quanthub.cli.pull;

import io.quanthub.cli.RangeFileServer;
import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.HubException;
import io.quanthub.cli.hub.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The download engine against a real local HTTP server: parallel parts, resume after kill -9, verification. */
class DownloaderTest {
    private static final String COMMIT = "c".repeat(64);
    private static final long PART = 256 << 10;

    @TempDir
    Path dir;

    private RangeFileServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = RangeFileServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static Downloader downloader(int connections, Duration stallTimeout) {
        return new Downloader(HubClient.newHttpClient(), null,
                new Downloader.Settings(connections, PART, stallTimeout, 4, Duration.ofMillis(20)));
    }

    @Test
    void headReportsSizeDigestAndCommit() throws IOException {
        byte[] data = random(1000, 1);
        server.file("/o/m/resolve/main/a.bin", data, COMMIT);
        RemoteFile f = downloader(1, Duration.ofSeconds(10)).head(server.uri("/o/m/resolve/main/a.bin"));
        assertEquals(1000, f.size());
        assertEquals(Sha256.hex(data), f.sha256());
        assertEquals(COMMIT, f.commit());
    }

    @Test
    void parallelDownloadIsByteEqualAndVerified() throws IOException {
        // Not a multiple of the part size, so the last part is short.
        byte[] data = random(5 * (int) PART + 12345, 2);
        server.file("/o/m/resolve/main/model.gguf", data, COMMIT);
        Downloader d = downloader(4, Duration.ofSeconds(30));
        RemoteFile remote = d.head(server.uri("/o/m/resolve/main/model.gguf"));
        Path blob = dir.resolve(remote.sha256());
        AtomicLong received = new AtomicLong();
        AtomicLong verified = new AtomicLong();
        d.download(remote, blob, new Downloader.Listener() {
            @Override
            public void received(long bytes) {
                received.addAndGet(bytes);
            }

            @Override
            public void verified(long bytes) {
                verified.addAndGet(bytes);
            }
        });
        assertArrayEquals(data, Files.readAllBytes(blob));
        assertEquals(data.length, received.get());
        assertEquals(data.length, verified.get());
        assertFalse(Files.exists(Downloader.partialFile(blob)), "partial file left behind");
        assertFalse(Files.exists(Downloader.stateFile(blob)), "state file left behind");
        // One ranged GET per part, each exactly its range.
        List<RangeFileServer.Served> served = server.served();
        assertEquals(6, served.size(), served.toString());
        for (RangeFileServer.Served s : served) assertEquals(s.end() - s.start() + 1, s.bytesSent(), s.toString());
        assertEquals(data.length, server.bytesSent("/o/m/resolve/main/model.gguf"));
    }

    @Test
    void emptyFileIsDownloaded() throws IOException {
        server.file("/o/m/resolve/main/empty", new byte[0], COMMIT);
        Downloader d = downloader(2, Duration.ofSeconds(30));
        RemoteFile remote = d.head(server.uri("/o/m/resolve/main/empty"));
        Path blob = dir.resolve(remote.sha256());
        d.download(remote, blob, Downloader.Listener.NONE);
        assertEquals(0, Files.size(blob));
    }

    @Test
    void existingBlobIsNotFetchedAgain() throws IOException {
        byte[] data = random(3000, 3);
        server.file("/f", data, COMMIT);
        Downloader d = downloader(2, Duration.ofSeconds(30));
        RemoteFile remote = d.head(server.uri("/f"));
        Path blob = dir.resolve(remote.sha256());
        d.download(remote, blob, Downloader.Listener.NONE);
        server.resetCounts();
        d.download(remote, blob, Downloader.Listener.NONE);
        assertTrue(server.served().isEmpty(), server.served().toString());
    }

    @Test
    void everyRangedGetNamesTheVersionItContinues() throws IOException {
        byte[] data = random(3 * (int) PART + 7, 6);
        server.file("/o/m/resolve/main/v.gguf", data, COMMIT);
        Downloader d = downloader(2, Duration.ofSeconds(30));
        RemoteFile remote = d.head(server.uri("/o/m/resolve/main/v.gguf"));
        d.download(remote, dir.resolve(remote.sha256()), Downloader.Listener.NONE);
        // If-Range: a hub that has another version by now answers the whole file, never a piece of it to splice.
        List<String> ifRanges = server.ifRanges();
        assertEquals(4, ifRanges.size(), ifRanges.toString());
        for (String ifRange : ifRanges) assertEquals("\"" + Sha256.hex(data) + "\"", ifRange);
    }

    @Test
    void sha256MismatchFailsAndLeavesNothingVisible() throws IOException {
        byte[] data = random(3 * (int) PART, 4);
        String claimed = Sha256.hex(random(10, 5)); // the ETag names other bytes
        server.file("/o/m/resolve/main/bad.gguf", new RangeFileServer.Resource(data, claimed, data.length, COMMIT));
        Downloader d = downloader(2, Duration.ofSeconds(30));
        RemoteFile remote = d.head(server.uri("/o/m/resolve/main/bad.gguf"));
        Path blob = dir.resolve(claimed);
        IOException e = assertThrows(IOException.class, () -> d.download(remote, blob, Downloader.Listener.NONE));
        assertTrue(e.getMessage().contains("sha256 mismatch") && e.getMessage().contains(claimed), e.getMessage());
        assertFalse(Files.exists(blob));
        assertFalse(Files.exists(Downloader.partialFile(blob)));
        assertFalse(Files.exists(Downloader.stateFile(blob)));
    }

    @Test
    void stalledConnectionIsAbortedAndThePartRetried() throws IOException {
        byte[] data = random(4 * (int) PART, 6);
        server.file("/stall", data, COMMIT);
        server.stallOnce("/stall", 2 * PART); // part 2 sends half its bytes, then nothing
        Downloader d = downloader(2, Duration.ofMillis(500));
        RemoteFile remote = d.head(server.uri("/stall"));
        Path blob = dir.resolve(remote.sha256());
        d.download(remote, blob, Downloader.Listener.NONE);
        assertArrayEquals(data, Files.readAllBytes(blob));
        // The stalled GET sent half the part; the retry asked only for the rest of it.
        List<RangeFileServer.Served> part2 = server.served().stream()
                .filter(s -> s.start() >= 2 * PART && s.start() < 3 * PART).toList();
        assertEquals(2, part2.size(), server.served().toString());
        assertEquals(2 * PART, part2.get(0).start());
        assertEquals(PART / 2, part2.get(0).bytesSent());
        assertEquals(2 * PART + PART / 2, part2.get(1).start());
        assertEquals(data.length, server.bytesSent("/stall"));
    }

    @Test
    void serverErrorsAreRetried() throws IOException {
        byte[] data = random(2 * (int) PART, 7);
        server.file("/flaky", data, COMMIT);
        Downloader d = downloader(1, Duration.ofSeconds(30));
        RemoteFile remote = d.head(server.uri("/flaky"));
        server.failNext(2); // fewer than the 4 attempts a part gets
        Path blob = dir.resolve(remote.sha256());
        d.download(remote, blob, Downloader.Listener.NONE);
        assertArrayEquals(data, Files.readAllBytes(blob));
    }

    @Test
    void persistentServerErrorsFailWithTheResumeHint() throws IOException {
        byte[] data = random(2 * (int) PART, 8);
        server.file("/down", data, COMMIT);
        Downloader d = downloader(1, Duration.ofSeconds(30));
        RemoteFile remote = d.head(server.uri("/down"));
        server.failNext(1000);
        Path blob = dir.resolve(remote.sha256());
        IOException e = assertThrows(IOException.class, () -> d.download(remote, blob, Downloader.Listener.NONE));
        assertTrue(e.getMessage().contains("HTTP 503") && e.getMessage().contains("run the command again to resume"),
                e.getMessage());
        assertFalse(Files.exists(blob));
    }

    @Test
    void missingFileIsTheHubsError() {
        HubException e = assertThrows(HubException.class,
                () -> downloader(1, Duration.ofSeconds(5)).head(server.uri("/nope")));
        assertEquals(404, e.status());
    }

    @Test
    void refusesWhenTheDiskIsTooSmall() throws IOException {
        // HEAD claims a petabyte; no disk here has that much free.
        server.file("/huge", new RangeFileServer.Resource(new byte[16], Sha256.hex(new byte[16]), 1L << 50, COMMIT));
        Downloader d = downloader(4, Duration.ofSeconds(30));
        RemoteFile remote = d.head(server.uri("/huge"));
        assertEquals(1L << 50, remote.size());
        Path blob = dir.resolve(remote.sha256());
        IOException e = assertThrows(IOException.class, () -> d.download(remote, blob, Downloader.Listener.NONE));
        assertTrue(e.getMessage().startsWith("not enough disk space for downloading /huge: needs 1.00 PiB"),
                e.getMessage());
        assertTrue(server.served().isEmpty(), "fetched bytes despite the refusal");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "left files behind");
        }
    }

    @Test
    void resumesAfterKill9WithoutRefetchingFinishedParts() throws Exception {
        int parts = 16;
        byte[] data = random(parts * (int) PART, 9);
        server.file("/big", data, COMMIT);
        String sha = Sha256.hex(data);
        Path blob = dir.resolve(sha);
        PartPlan plan = new PartPlan(data.length, PART);
        // Slow enough (two connections at 512 kB/s: about 4 s for the file) that the child is killed half-way.
        server.throttle(512 << 10);

        Process child = new ProcessBuilder(javaCommand(DownloadChild.class.getName(),
                server.uri("/big").toString(), blob.toString(), Long.toString(PART), "2"))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile())
                .start();
        PartState atKill;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            do {
                assertTrue(child.isAlive(), () -> "the child ended early: " + log());
                assertTrue(System.nanoTime() < deadline, "no part finished within a minute");
                Thread.sleep(20);
                atKill = PartState.load(Downloader.stateFile(blob), sha, plan);
            } while (atKill == null || atKill.doneCount() < 3);
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
            child.waitFor();
        }
        // The state read before the kill may trail the one on disk by a part or two, never lead it.
        PartState kept = PartState.load(Downloader.stateFile(blob), sha, plan);
        assertNotNull(kept, "the state file did not survive the kill");
        int keptParts = kept.doneCount();
        assertTrue(keptParts >= atKill.doneCount() && keptParts < parts,
                "kept " + keptParts + " of " + parts + " parts");
        assertFalse(Files.exists(blob), "the blob appeared before the download finished");

        server.throttle(0);
        server.awaitIdle(Duration.ofSeconds(30)); // the killed child's responses record what they sent
        server.resetCounts();
        Downloader d = downloader(2, Duration.ofSeconds(30));
        d.download(d.head(server.uri("/big")), blob, Downloader.Listener.NONE);

        assertArrayEquals(data, Files.readAllBytes(blob));
        List<Long> refetched = new ArrayList<>();
        for (RangeFileServer.Served s : server.served()) {
            int part = (int) (s.start() / PART);
            if (kept.isDone(part)) refetched.add(s.start());
        }
        assertEquals(List.of(), refetched, "finished parts were fetched again");
        assertEquals((long) (parts - keptParts) * PART, server.bytesSent("/big"));
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("child.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** A command running {@code mainClass} in a new JVM with this test's class path. */
    static List<String> javaCommand(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
