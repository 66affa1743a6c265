package io.quanthub.cli;

import io.quanthub.cli.cache.HubCache;
import io.quanthub.cli.cache.RepoCache;
import io.quanthub.cli.hub.Sha256;
import io.quanthub.cli.pull.Downloader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.quanthub.cli.PullCommandTest.C1;
import static io.quanthub.cli.PullCommandTest.C2;
import static io.quanthub.cli.PullCommandTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code quanthub cache ls|rm|prune} on a cache filled by real pulls. */
class CacheCommandTest {
    @TempDir
    Path dir;

    private RangeFileServer server;
    private Path cacheDir;
    private RepoCache repo;
    private final byte[] shared = random(300_000, 3);
    private final byte[] v1 = random(1000, 4);
    private final byte[] v2 = random(2000, 5);

    @BeforeEach
    void fillCache() throws IOException {
        server = RangeFileServer.start();
        StaticHub hub = new StaticHub(server);
        hub.commit("org/dedupe", C1, Map.of("weights.bin", shared, "notes.txt", v1), List.of("main"));
        hub.commit("org/dedupe", C2, Map.of("weights.bin", shared, "notes.txt", v2), List.of("v2"));
        cacheDir = dir.resolve("cache");
        for (String model : List.of("org/dedupe@main", "org/dedupe@v2")) {
            Cli pull = Cli.run("pull", model, "--hub", server.base(), "--cache-dir", cacheDir.toString(),
                    "--no-progress");
            assertEquals(0, pull.exit(), pull.err());
        }
        repo = new HubCache(cacheDir).repo("org/dedupe");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Cli cache(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "cache";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--cache-dir";
        all[args.length + 2] = cacheDir.toString();
        return Cli.run(all);
    }

    @Test
    void lsShowsRepositoriesRevisionsAndSizes() {
        Cli ls = cache("ls");
        assertEquals(0, ls.exit(), ls.err());
        List<String> lines = ls.out().lines().toList();
        assertEquals(List.of(
                "REPO        REVISION  COMMIT        FILES     SIZE",
                "org/dedupe                                 296 KiB",
                "            main      111111111111      2  294 KiB",
                "            v2        222222222222      2  295 KiB",
                "1 repository, 296 KiB in " + cacheDir.toAbsolutePath()), lines);
    }

    @Test
    void lsOnAnEmptyCacheSaysSo() {
        Cli ls = Cli.run("cache", "ls", "--cache-dir", dir.resolve("empty").toString());
        assertEquals(0, ls.exit());
        assertEquals("the cache is empty (" + dir.resolve("empty") + ")\n", ls.out());
    }

    @Test
    void rmRevisionKeepsBlobsOtherRevisionsUse() throws IOException {
        Cli rm = cache("rm", "org/dedupe@main");
        assertEquals(0, rm.exit(), rm.err());
        assertEquals("removed org/dedupe@main (commit 111111111111): freed 1000 B in 1 blob\n", rm.out());
        assertEquals(List.of(C2), repo.commits());
        assertEquals(Map.of("v2", C2), repo.refs());
        assertFalse(Files.exists(repo.blob(Sha256.hex(v1))));
        assertArrayEquals(shared, Files.readAllBytes(repo.snapshotFile(C2, "weights.bin")));
        assertArrayEquals(v2, Files.readAllBytes(repo.snapshotFile(C2, "notes.txt")));

        // By commit id, the last revision: the repository is gone.
        Cli rmLast = cache("rm", "org/dedupe@" + C2);
        assertEquals(0, rmLast.exit(), rmLast.err());
        assertFalse(Files.exists(repo.dir()));
    }

    @Test
    void rmRepositoryRemovesEverything() {
        Cli rm = cache("rm", "org/dedupe");
        assertEquals(0, rm.exit(), rm.err());
        assertEquals("removed org/dedupe: freed 296 KiB\n", rm.out());
        assertFalse(Files.exists(repo.dir()));
    }

    @Test
    void rmOfSomethingNotCachedIsAnError() {
        Cli rev = cache("rm", "org/dedupe@nope");
        assertEquals(1, rev.exit());
        assertEquals("quanthub: revision nope of org/dedupe is not in the cache\n", rev.err());
        Cli other = cache("rm", "org/other");
        assertEquals(1, other.exit());
        assertEquals("quanthub: org/other is not in the cache (" + cacheDir.toAbsolutePath() + ")\n", other.err());
    }

    @Test
    void pruneRemovesWhatNoRevisionNeedsAndKeepsTheRest() throws IOException {
        Path blobs = repo.blobsDir();
        String orphanSha = Sha256.hex(random(10, 6));
        Files.write(blobs.resolve(orphanSha), random(10, 6));
        Path stalePartial = Downloader.partialFile(blobs.resolve("a".repeat(64)));
        Path staleState = Downloader.stateFile(blobs.resolve("a".repeat(64)));
        Path freshPartial = Downloader.partialFile(blobs.resolve("b".repeat(64)));
        Files.write(stalePartial, new byte[100]);
        Files.writeString(staleState, "{}");
        Files.write(freshPartial, new byte[100]);
        FileTime twoDaysAgo = FileTime.from(Instant.now().minus(Duration.ofDays(2)));
        Files.setLastModifiedTime(stalePartial, twoDaysAgo);
        Files.setLastModifiedTime(staleState, twoDaysAgo);
        String gone = "9".repeat(64);
        Files.createDirectories(repo.snapshotDir(gone));
        Files.createSymbolicLink(repo.snapshotFile(gone, "lost.bin"), Path.of("../../blobs/" + "f".repeat(64)));
        repo.writeRef("old", "8".repeat(64));

        Cli prune = cache("prune");
        assertEquals(0, prune.exit(), prune.err());
        String p = "models--org--dedupe/";
        assertEquals(List.of(
                "removed " + p + "snapshots/" + gone + "/lost.bin (link to a missing blob, 0 B)",
                "removed " + p + "refs/old (ref to a revision not in the cache, 0 B)",
                "removed " + p + "blobs/" + orphanSha + " (blob no snapshot uses, 10 B)",
                "removed " + p + "blobs/" + "a".repeat(64) + ".partial (partial download untouched for over a day,"
                        + " 100 B)",
                "removed " + p + "blobs/" + "a".repeat(64) + ".parts.json (leftover of an interrupted download, 2 B)",
                "pruned 5 files, freed 112 B"), prune.out().lines().toList());
        assertTrue(Files.exists(freshPartial), "a recent partial download was removed");
        assertFalse(Files.exists(repo.snapshotDir(gone)));
        assertEquals(3, repo.blobs().size());
        assertArrayEquals(v1, Files.readAllBytes(repo.snapshotFile(C1, "notes.txt")));

        Cli again = cache("prune");
        assertEquals("nothing to prune in " + cacheDir.toAbsolutePath() + "\n", again.out());
    }
}
