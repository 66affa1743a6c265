package io.quanthub.cli;

import io.quanthub.cli.cache.HubCache;
import io.quanthub.cli.cache.RepoCache;
import io.quanthub.cli.hub.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code quanthub pull} in-process against hub answers shaped as docs/hub-api.md specifies. */
class PullCommandTest {
    static final String C1 = "1".repeat(64);
    static final String C2 = "2".repeat(64);
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    RangeFileServer server;
    StaticHub hub;
    Path cacheDir;
    String out;
    String err;

    final byte[] q8 = random(700_000, 1);
    final byte[] q4 = random(400_000, 2);
    final byte[] config = "{\"model\": \"flux\"}".getBytes();

    @BeforeEach
    void start() throws IOException {
        server = RangeFileServer.start();
        hub = new StaticHub(server);
        cacheDir = dir.resolve("cache");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** org/flux at C1 (main): a config and two GGUF levels; Q2_K is missing. */
    void publishFlux() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", config);
        files.put("flux-Q8_0.gguf", q8);
        files.put("flux-Q4_K_M.gguf", q4);
        hub.commit("org/flux", C1, files, List.of("main"));
        hub.quants("org/flux", C1, "Q8_0", List.of(
                StaticHub.level("Q8_0", "flux-Q8_0.gguf", q8, 0, 8.5, 13 * GIB, 22 * GIB),
                StaticHub.level("Q4_K_M", "flux-Q4_K_M.gguf", q4, 0, 4.8, 7 * GIB, 11 * GIB),
                StaticHub.level("Q2_K", null, null, 4_000_000_000L, 2.6, 4 * GIB, 9 * GIB)));
    }

    int run(String... args) {
        Cli result = Cli.run(args);
        out = result.out();
        err = result.err();
        return result.exit();
    }

    int pull(String... args) {
        String[] all = new String[args.length + 6];
        all[0] = "pull";
        System.arraycopy(args, 0, all, 1, args.length);
        System.arraycopy(new String[]{"--hub", server.base(), "--cache-dir", cacheDir.toString(), "--no-progress"},
                0, all, args.length + 1, 5);
        return run(all);
    }

    RepoCache repoCache(String repo) {
        return new HubCache(cacheDir).repo(repo);
    }

    @Test
    void namedQuantPullsItsGgufIntoTheCache() throws IOException {
        publishFlux();
        assertEquals(0, pull("org/flux:q4_k_m"), err);
        RepoCache repo = repoCache("org/flux");
        Path file = repo.snapshotFile(C1, "flux-Q4_K_M.gguf");
        assertArrayEquals(q4, Files.readAllBytes(file));
        assertTrue(Files.isSymbolicLink(file));
        assertEquals(List.of(repo.blob(Sha256.hex(q4))), repo.blobs());
        assertEquals(Map.of("main", C1), repo.refs());
        assertTrue(out.contains("org/flux@main (commit 111111111111), quant Q4_K_M: 1 file"),
                out);
        assertTrue(out.contains(file + "  391 KiB  (downloaded)"), out);
        // Only the chosen file was fetched.
        assertEquals(q4.length, server.bytesSent("/org/flux/resolve/" + C1 + "/flux-Q4_K_M.gguf"));
        assertEquals(0, server.bytesSent("/org/flux/resolve/" + C1 + "/flux-Q8_0.gguf"));
    }

    @Test
    void withoutQuantTheDefaultLevelIsPulled() throws IOException {
        publishFlux();
        assertEquals(0, pull("org/flux"), err);
        assertArrayEquals(q8, Files.readAllBytes(repoCache("org/flux").snapshotFile(C1, "flux-Q8_0.gguf")));
        assertEquals(1, repoCache("org/flux").blobs().size());
    }

    @Test
    void withoutGgufsEveryFileIsPulled() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("model.safetensors", q8);
        files.put("sub/dir/config.json", config);
        hub.commit("org/raw", C1, files, List.of("main"));
        assertEquals(0, pull("org/raw"), err);
        RepoCache repo = repoCache("org/raw");
        assertArrayEquals(q8, Files.readAllBytes(repo.snapshotFile(C1, "model.safetensors")));
        assertArrayEquals(config, Files.readAllBytes(repo.snapshotFile(C1, "sub/dir/config.json")));
    }

    @Test
    void secondPullIsServedFromTheCache() throws IOException {
        publishFlux();
        assertEquals(0, pull("org/flux:Q8_0"), err);
        server.resetCounts();
        assertEquals(0, pull("org/flux:Q8_0"), err);
        assertTrue(out.contains("(cached)"), out);
        assertTrue(server.served().isEmpty(), server.served().toString());
    }

    @Test
    void dryRunListsFilesAndDownloadsNothing() throws IOException {
        publishFlux();
        assertEquals(0, pull("org/flux:Q8_0", "--dry-run"), err);
        String text = out;
        assertTrue(text.contains("flux-Q8_0.gguf  684 KiB  to download"), text);
        assertTrue(text.contains("destination: " + repoCache("org/flux").snapshotDir(C1)), text);
        assertTrue(text.contains("would download 684 KiB in 1 file;"), text);
        assertTrue(server.served().isEmpty());
        assertFalse(Files.exists(cacheDir.resolve("models--org--flux")));
    }

    @Test
    void outDirGetsAHardLinkToTheBlob() throws IOException {
        publishFlux();
        Path outDir = dir.resolve("models");
        assertEquals(0, pull("org/flux:Q4_K_M", "--out", outDir.toString()), err);
        Path placed = outDir.resolve("flux-Q4_K_M.gguf");
        assertFalse(Files.isSymbolicLink(placed));
        assertTrue(Files.isSameFile(placed, repoCache("org/flux").blob(Sha256.hex(q4))), "not a hard link");
        assertTrue(out.contains(placed + "  391 KiB  (downloaded, linked)"), out);
    }

    @Test
    void outDirOnAnotherFileSystemGetsAWritableCopy() throws IOException {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(dir)),
                "needs /dev/shm on a file system other than the temporary directory's");
        publishFlux();
        Path outDir = Files.createTempDirectory(shm, "quanthub-test-");
        try {
            assertEquals(0, pull("org/flux:Q4_K_M", "--out", outDir.toString()), err);
            Path placed = outDir.resolve("flux-Q4_K_M.gguf");
            assertArrayEquals(q4, Files.readAllBytes(placed));
            assertFalse(Files.isSameFile(placed, repoCache("org/flux").blob(Sha256.hex(q4))));
            assertTrue(Files.isWritable(placed));
            assertTrue(out.contains(placed + "  391 KiB  (downloaded, copied)"), out);
        } finally {
            Files.deleteIfExists(outDir.resolve("flux-Q4_K_M.gguf"));
            Files.delete(outDir);
        }
    }

    @Test
    void missingQuantIsAOneLineError() {
        publishFlux();
        // A missing level is asked for first (PullProducesTest covers a hub that produces it); this one cannot.
        server.answers("POST", "/api/models/org/flux/quants/Q2_K", new RangeFileServer.Answer(503,
                "{\"error\": \"this hub runs no converter-cluster member, so it cannot produce quant levels\"}"));
        assertEquals(1, pull("org/flux:Q2_K"));
        assertEquals("quanthub: this hub runs no converter-cluster member, so it cannot produce quant levels "
                + "(HTTP 503)\n", err);
        assertEquals(1, pull("org/flux:Q5_0"));
        assertEquals("quanthub: org/flux has no quant level Q5_0 (levels: Q8_0, Q4_K_M, Q2_K)\n", err);
    }

    @Test
    void levelAvailableWithoutAFileInTheRevisionIsAOneLineError() {
        publishFlux();
        hub.quants("org/flux", C1, "Q8_0", List.of(
                StaticHub.level("Q8_0", "flux-Q8_0.gguf", q8, 0, 8.5, 13 * GIB, 22 * GIB),
                StaticHub.variant("Q4_0", random(300_000, 3), 4.5)));
        assertEquals(1, pull("org/flux:Q4_0"));
        assertEquals("quanthub: org/flux:Q4_0 is available on the hub, but its file is not in org/flux@main; "
                + "available: Q8_0\n", err);
        // info still shows the level, without a file.
        assertEquals(0, run("info", "org/flux", "--hub", server.base()), err);
        assertTrue(out.lines().anyMatch(l -> l.matches(" +Q4_0 +available +293 KiB +4\\.50 +- +- +-")), out);
    }

    @Test
    void hubErrorsShowTheHubsMessage() {
        server.json("/api/models/org/none?revision=main", 404, "{\"error\": \"repository org/none not found\"}");
        assertEquals(1, pull("org/none"));
        assertEquals("quanthub: repository org/none not found (HTTP 404)\n", err);
    }

    @Test
    void badModelNamesAreRejectedBeforeAnyRequest() {
        assertEquals(1, pull("org/a..b"));
        assertTrue(err.startsWith("quanthub: repository 'org/a..b' contains '..'"), err);
        assertEquals(1, pull("_org/x"));
        assertTrue(err.startsWith("quanthub: repository '_org/x': owner must start with [a-zA-Z0-9]"), err);
        assertEquals(1, pull("noslash"));
        assertTrue(err.contains("not of the form org/name[@revision][:QUANT]"), err);
        assertTrue(server.served().isEmpty());
    }

    @Test
    void unreachableHubIsAOneLineError() {
        server.close();
        assertEquals(1, pull("org/flux"));
        assertTrue(err.startsWith("quanthub: cannot connect to http://127.0.0.1:"), err);
        assertEquals(1, err.lines().count(), err);
    }

    /** Two revisions sharing a file store its bytes once; each snapshot sees its own files. */
    @Test
    void revisionsSharingABlobStoreItOnce() throws IOException {
        byte[] shared = random(300_000, 3);
        byte[] v1 = random(1000, 4);
        byte[] v2 = random(1000, 5);
        hub.commit("org/dedupe", C1, Map.of("weights.bin", shared, "notes.txt", v1), List.of("main"));
        hub.commit("org/dedupe", C2, Map.of("weights.bin", shared, "notes.txt", v2), List.of("v2"));
        assertEquals(0, pull("org/dedupe@main"), err);
        server.resetCounts();
        assertEquals(0, pull("org/dedupe@v2"), err);
        // The second pull fetched only the file that differs.
        assertEquals(0, server.bytesSent("/org/dedupe/resolve/" + C2 + "/weights.bin"));
        assertEquals(v2.length, server.bytesSent("/org/dedupe/resolve/" + C2 + "/notes.txt"));

        RepoCache repo = repoCache("org/dedupe");
        assertEquals(3, repo.blobs().size());
        assertTrue(Files.isSameFile(repo.snapshotFile(C1, "weights.bin"), repo.snapshotFile(C2, "weights.bin")));
        assertArrayEquals(v1, Files.readAllBytes(repo.snapshotFile(C1, "notes.txt")));
        assertArrayEquals(v2, Files.readAllBytes(repo.snapshotFile(C2, "notes.txt")));
        assertEquals(Map.of("main", C1, "v2", C2), repo.refs());
        assertEquals(shared.length + v1.length + v2.length, repo.blobBytes());
    }
}
