package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RepoStoreTest extends S3TestSupport {
    private final RepoName repo = RepoName.parse("city96/flux.1-dev-gguf");
    private RepoStore repos;

    @BeforeEach
    void createRepo() {
        repos = storage.repos();
        repos.create(repo, "alice");
    }

    private Blob upload(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return storage.blobs().put(new ByteArrayInputStream(bytes), bytes.length);
    }

    private Commit commit(String branch, String base, Changes changes) {
        return repos.commit(new CommitRequest(repo, branch, base, changes, "alice", "change " + changes.paths()));
    }

    @Test
    void repositoriesAreCreatedOnceAndListed() {
        var e = assertThrows(StorageException.AlreadyExists.class, () -> repos.create(repo, "mallory"));
        assertTrue(e.getMessage().contains(repo.toString()), e.getMessage());
        repos.create(RepoName.parse("acme/sd3"), "bob");
        assertEquals(List.of(RepoName.parse("acme/sd3"), repo), repos.list());
        assertEquals("alice", repos.info(repo).orElseThrow().createdBy());
        assertThrows(StorageException.NotFound.class, () -> repos.commit(CommitRequest.onHead(
                RepoName.parse("nobody/nothing"), "main", Changes.put("a", upload("a")), "alice", "x")));
    }

    @Test
    void commitsChainAndTheirIdIsTheSha256OfTheStoredManifest() {
        Blob config = upload("{\"model\":\"flux\"}");
        Blob weights = upload("weights v1");
        Commit first = commit("main", null, Changes.of(Map.of("config.json", config, "transformer/model.gguf", weights),
                Set.of()));
        Blob weights2 = upload("weights v2");
        Commit second = commit("main", null, Changes.put("transformer/model.gguf", weights2));
        Commit third = commit("main", null, Changes.delete("config.json"));

        assertNull(first.parent());
        assertEquals(first.id(), second.parent());
        assertEquals(second.id(), third.parent());
        assertEquals(Map.of("config.json", config, "transformer/model.gguf", weights2), second.files());
        assertEquals(Map.of("transformer/model.gguf", weights2), third.files());

        byte[] stored = objects().get("commits/" + second.id()).orElseThrow();
        assertEquals(second.id(), sha256Hex(stored));
        assertEquals(second, repos.read(repo, second.id()));
        assertEquals(third, repos.resolve(repo, "main"));
        assertEquals(second, repos.resolve(repo, second.id()));
        assertEquals(List.of(third, second, first), repos.history(repo, third.id(), 10));
        assertEquals(List.of(third, second), repos.history(repo, third.id(), 2));
    }

    @Test
    void branchesAndTags() {
        Commit first = commit("main", null, Changes.put("a.txt", upload("a")));
        repos.tag(repo, "v1.0", "main", "alice");
        Commit second = commit("main", null, Changes.put("b.txt", upload("b")));

        assertEquals(first, repos.resolve(repo, "v1.0"));
        assertThrows(StorageException.AlreadyExists.class, () -> repos.tag(repo, "v1.0", "main", "alice"));
        assertEquals(first, repos.resolve(repo, "v1.0"), "a tag never moves");

        repos.createBranch(repo, "q4-experiments", "v1.0", "bob");
        Commit onBranch = commit("q4-experiments", null, Changes.put("c.txt", upload("c")));
        assertEquals(first.id(), onBranch.parent());
        assertEquals(second, repos.resolve(repo, "main"), "main unaffected");
        assertEquals(Map.of("main", second.id(), "q4-experiments", onBranch.id()),
                storage.refs().list(repo, Ref.Kind.BRANCH));
        assertEquals(Map.of("v1.0", first.id()), storage.refs().list(repo, Ref.Kind.TAG));

        Ref experiments = Ref.branch(repo, "q4-experiments");
        storage.refs().delete(experiments, onBranch.id(), "bob");
        assertEquals(Map.of("main", second.id()), storage.refs().list(repo, Ref.Kind.BRANCH));
        assertThrows(StorageException.NotFound.class, () -> repos.resolve(repo, "q4-experiments"));
        List<Refs.Head> log = storage.refs().history(experiments);
        assertEquals(List.of(first.id(), onBranch.id()), log.subList(0, 2).stream().map(Refs.Head::commit).toList());
        assertNull(log.get(2).commit(), "deletion is logged");
        // A deleted branch can be created again; its log continues.
        repos.createBranch(repo, "q4-experiments", "main", "bob");
        assertEquals(4, storage.refs().history(experiments).get(3).seq());
    }

    @Test
    void aDeletedRepositoryLeavesNothingANewOneOfItsNameCouldReach() {
        RepoName other = RepoName.parse("acme/keeps");
        repos.create(other, "bob");
        Commit kept = repos.commit(CommitRequest.onHead(other, "main", Changes.put("k", upload("k")), "bob", "k"));
        Commit first = commit("main", null, Changes.put("a.txt", upload("a")));
        repos.createBranch(repo, "gone", "main", "alice");
        Commit onGone = commit("gone", null, Changes.put("b.txt", upload("b")));
        storage.refs().delete(Ref.branch(repo, "gone"), onGone.id(), "alice"); // reachable from its log only
        Commit second = commit("main", null, Changes.put("c.txt", upload("c")));
        repos.tag(repo, "v1", second.id(), "alice");
        Blob uploaded = upload("uploaded");
        storage.access().recordUpload(repo, uploaded.digest());

        repos.delete(repo);

        assertTrue(repos.info(repo).isEmpty());
        for (Commit commit : List.of(first, onGone, second)) {
            assertTrue(objects().get("commits/" + commit.id()).isEmpty(), commit.id());
        }
        assertEquals(List.of(), keys("refs/" + repo.owner() + "/" + repo.name() + "/"), "no ref log is left");
        assertFalse(storage.access().uploadedTo(repo, uploaded.digest()));
        assertEquals(List.of(), storage.access().holders(first.files().get("a.txt").digest()), "nor what it held");
        assertThrows(StorageException.NotFound.class, () -> repos.delete(repo));
        assertEquals(kept, repos.resolve(other, "main"), "another repository is untouched");

        repos.create(repo, "carol");
        assertTrue(storage.refs().list(repo, Ref.Kind.BRANCH).isEmpty());
        assertThrows(StorageException.NotFound.class, () -> repos.resolve(repo, first.id()));
        assertThrows(StorageException.NotFound.class, () -> repos.resolve(repo, "v1"));
        assertNull(commit("main", null, Changes.put("new.txt", upload("new"))).parent(), "history starts afresh");
    }

    @Test
    void aMovedRepositoryKeepsItsHistoryTagsPrivacyAndBlobRuleUnderItsNewNameOnly() {
        RepoName from = RepoName.parse("acme/secret");
        RepoName to = RepoName.parse("org2/renamed");
        RepoStore.RepoInfo created = repos.create(from, "bob", true);
        Blob weights = upload("weights");
        Commit first = repos.commit(CommitRequest.onHead(from, "main", Changes.put("w.gguf", weights), "bob", "one"));
        repos.createBranch(from, "dev", "main", "bob");
        clock.advance(java.time.Duration.ofMinutes(1));
        Commit onDev = repos.commit(CommitRequest.onHead(from, "dev", Changes.put("d.txt", upload("d")), "carol", "dev"));
        Commit second = repos.commit(CommitRequest.onHead(from, "main", Changes.put("r.md", upload("r")), "bob", "two"));
        repos.tag(from, "v1", first.id(), "bob");
        Blob onlyUploaded = upload("uploaded, not committed");
        storage.access().recordUpload(from, onlyUploaded.digest());

        RepoStore.RepoInfo moved = repos.move(from, to, "bob");

        assertEquals(new RepoStore.RepoInfo(to, "bob", created.created(), true), moved);
        assertEquals(moved, repos.info(to).orElseThrow());
        assertTrue(repos.info(from).isEmpty(), "the old name is gone");
        List<Commit> history = repos.history(to, repos.resolve(to, "main").id(), 10);
        assertEquals(List.of("two", "one"), history.stream().map(c -> c.manifest().message()).toList());
        List<Commit> old = List.of(second, first);
        for (int i = 0; i < old.size(); i++) {
            Manifest before = old.get(i).manifest();
            Manifest after = history.get(i).manifest();
            assertEquals(to, after.repo());
            assertEquals(before.files(), after.files());
            assertEquals(before.author(), after.author());
            assertEquals(before.time(), after.time());
        }
        assertEquals(history.get(1).id(), history.get(0).parent(), "parents are the rewritten ids");
        assertEquals(history.get(1), repos.resolve(to, "v1"), "the tag points at the rewritten commit");
        Commit dev = repos.resolve(to, "dev");
        assertEquals(onDev.files(), dev.files());
        assertEquals(history.get(1).id(), dev.parent(), "branches share their rewritten ancestors");
        for (Commit commit : List.of(first, second, onDev)) {
            assertTrue(objects().get("commits/" + commit.id()).isEmpty(), "old commit " + commit.id() + " is deleted");
        }
        assertEquals(List.of(), keys("refs/acme/secret/"));
        // The Git LFS rule: what was uploaded to or held by the old name is offered by the new name only.
        assertTrue(storage.access().uploadedTo(to, onlyUploaded.digest()));
        assertFalse(storage.access().uploadedTo(from, onlyUploaded.digest()));
        assertEquals(List.of(to), storage.access().holders(weights.digest()));
        repos.create(from, "mallory");
        assertTrue(storage.refs().list(from, Ref.Kind.BRANCH).isEmpty(), "a new repository of the old name is empty");

        assertThrows(StorageException.AlreadyExists.class, () -> repos.move(to, repo, "bob"));
        assertThrows(StorageException.AlreadyExists.class, () -> repos.move(to, to, "bob"));
        assertThrows(StorageException.NotFound.class, () -> repos.move(RepoName.parse("acme/none"), 
                RepoName.parse("acme/other"), "bob"));
        assertEquals(history.get(0), repos.resolve(to, "main"), "a refused move changes nothing");
    }

    @Test
    void aPushDuringAMoveFailsTheMoveAndLeavesTheSourceWhole() {
        RepoName to = RepoName.parse("org2/moved");
        Commit start = commit("main", null, Changes.put("start", upload("start")));
        repos.tag(repo, "v1", start.id(), "alice");
        Commit[] pushed = new Commit[1];
        // The clock is first read when the target's refs are set: after the copy, before the source is touched.
        clock.onRead(1, () -> pushed[0] = commit("main", null, Changes.put("late", upload("late"))));

        assertThrows(StorageException.RefConflict.class, () -> repos.move(repo, to, "alice"));

        assertTrue(repos.info(to).isEmpty(), "the target is removed");
        assertEquals(List.of(), keys("refs/org2/moved/"));
        assertEquals(pushed[0], repos.resolve(repo, "main"), "the push landed on the source");
        assertEquals(start.id(), pushed[0].parent());
        assertEquals(start, repos.resolve(repo, "v1"));
        assertEquals(List.of(repo), storage.access().holders(start.files().get("start").digest()));
        // Retried without a concurrent push, the move carries the push over.
        repos.move(repo, to, "alice");
        assertEquals(Set.of("start", "late"), repos.resolve(to, "main").files().keySet());
    }

    @Test
    void aPushRacingTheRetirementOfTheSourceRefsFailsTheMoveAndIsKept() {
        RepoName to = RepoName.parse("org2/moved");
        Commit start = commit("main", null, Changes.put("start", upload("start")));
        repos.tag(repo, "v1", start.id(), "alice");
        // Clock reads in the move: the target's main (1) and v1 (2), then retiring the source's main (3, between its
        // read of the head and its append) and v1 (4, main already retired).
        clock.onRead(3, () -> commit("main", null, Changes.put("during", upload("during"))));
        assertThrows(StorageException.RefConflict.class, () -> repos.move(repo, to, "alice"));
        assertTrue(repos.info(to).isEmpty());
        assertEquals(Set.of("start", "during"), repos.resolve(repo, "main").files().keySet());

        Commit before = repos.resolve(repo, "main");
        clock.onRead(4, () -> commit("main", null, Changes.put("after", upload("after"))));
        assertThrows(StorageException.RefConflict.class, () -> repos.move(repo, to, "alice"));
        assertTrue(repos.info(to).isEmpty());
        // The push found main retired and started it afresh; putting main back keeps it, on top of the history.
        Commit main = repos.resolve(repo, "main");
        assertEquals(Set.of("start", "during", "after"), main.files().keySet());
        assertEquals(before.id(), main.parent());
        assertEquals("change [after]", main.manifest().message());
        assertEquals(start, repos.resolve(repo, "v1"));
    }

    @Test
    void commitsCheckTheirBlobsAndPaths() {
        Blob uploaded = upload("x");
        Blob missing = new Blob(Digest.of(new byte[] {9}), 1);
        assertThrows(StorageException.NotFound.class, () -> commit("main", null, Changes.put("m", missing)));
        assertThrows(IllegalArgumentException.class,
                () -> commit("main", null, Changes.put("m", new Blob(uploaded.digest(), 99))));
        commit("main", null, Changes.put("x", uploaded));
        var e = assertThrows(StorageException.NotFound.class, () -> commit("main", null, Changes.delete("nope")));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Changes.put("../etc/passwd", uploaded));
        assertThrows(IllegalArgumentException.class,
                () -> Changes.of(Map.of("a", uploaded), Set.of("a")));
    }

    @Test
    void commitsOfOneRepositoryAreInvisibleInAnother() {
        Commit commit = commit("main", null, Changes.put("a", upload("a")));
        RepoName other = RepoName.parse("acme/other");
        repos.create(other, "bob");
        assertThrows(StorageException.NotFound.class, () -> repos.read(other, commit.id()));
        assertThrows(StorageException.NotFound.class, () -> repos.resolve(other, "main"));
    }

    @Test
    void compareAndSetHasExactlyOneWinner() throws Exception {
        Commit base = commit("main", null, Changes.put("a", upload("a")));
        Commit next = commit("side", null, Changes.put("b", upload("b")));
        Ref main = Ref.branch(repo, "main");

        var stale = assertThrows(StorageException.RefConflict.class,
                () -> storage.refs().compareAndSet(main, next.id(), base.id(), "bob"));
        assertEquals(base.id(), stale.actual());

        // Many writers all expecting the same head: the conditional create lets exactly one through.
        int writers = 16;
        AtomicInteger won = new AtomicInteger();
        List<StorageException.RefConflict> lost = runConcurrently(writers, i -> {
            storage.refs().compareAndSet(main, base.id(), next.id(), "writer-" + i);
            won.incrementAndGet();
            return null;
        }, StorageException.RefConflict.class);
        assertEquals(1, won.get());
        assertEquals(writers - 1, lost.size());
        lost.forEach(conflict -> assertEquals(next.id(), conflict.actual()));
        assertEquals(2, storage.refs().history(main).size());
    }

    @Test
    void concurrentCommitsToOneBranchLoseNothing() throws Exception {
        Commit root = commit("main", null, Changes.put("README.md", upload("readme")));
        // 8 x 6 = 48 commits, below RepoStore.MAX_ATTEMPTS: a writer loses a round only when another commit lands,
        // so no writer can run out of attempts here.
        int threads = 8;
        int perThread = 6;
        List<Blob> blobs = new ArrayList<>();
        for (int i = 0; i < threads * perThread; i++) blobs.add(upload("file " + i));
        ConcurrentLinkedQueue<Commit> made = new ConcurrentLinkedQueue<>();
        runConcurrently(threads, t -> {
            for (int j = 0; j < perThread; j++) {
                int n = t * perThread + j;
                made.add(commit("main", null, Changes.put("shards/" + n + ".bin", blobs.get(n))));
            }
            return null;
        }, StorageException.class).forEach(failure -> {
            throw new AssertionError("a commit failed", failure);
        });

        Commit head = repos.resolve(repo, "main");
        assertEquals(threads * perThread + 1, head.files().size(), "no file lost");
        for (int n = 0; n < threads * perThread; n++) {
            assertEquals(blobs.get(n), head.files().get("shards/" + n + ".bin"));
        }
        Set<String> reachable = new HashSet<>();
        repos.history(repo, head.id(), Integer.MAX_VALUE).forEach(c -> reachable.add(c.id()));
        assertEquals(threads * perThread + 1, reachable.size(), "a straight line of commits");
        assertTrue(reachable.contains(root.id()));
        made.forEach(c -> assertTrue(reachable.contains(c.id()), "commit " + c.id() + " reachable from the head"));
    }

    @Test
    void clashingPathsConflictInsteadOfOverwriting() throws Exception {
        Commit base = commit("main", null, Changes.put("config.json", upload("v0")));
        int writers = 8;
        List<Blob> versions = new ArrayList<>();
        for (int i = 0; i < writers; i++) versions.add(upload("v" + (i + 1)));
        List<StorageException.CommitConflict> conflicts = runConcurrently(writers,
                i -> commit("main", base.id(), Changes.put("config.json", versions.get(i))),
                StorageException.CommitConflict.class);

        assertEquals(writers - 1, conflicts.size(), "exactly one writer changed config.json");
        Commit head = repos.resolve(repo, "main");
        assertEquals(base.id(), head.parent());
        assertTrue(versions.contains(head.files().get("config.json")));
        conflicts.forEach(c -> {
            assertEquals(List.of("config.json"), c.paths());
            assertEquals(head.id(), c.head());
        });
    }

    @Test
    void aCommitOnAnOlderBaseIsRebasedWhenThePathsDoNotClash() {
        Commit base = commit("main", null, Changes.put("a", upload("a0")));
        Commit theirs = commit("main", base.id(), Changes.put("b", upload("b1")));
        Commit ours = commit("main", base.id(), Changes.put("a", upload("a1")));

        assertEquals(theirs.id(), ours.parent());
        assertEquals(Set.of("a", "b"), ours.files().keySet());
        // But a change to a path that moved since the base is refused.
        var e = assertThrows(StorageException.CommitConflict.class,
                () -> commit("main", theirs.id(), Changes.delete("a")));
        assertEquals(List.of("a"), e.paths());
    }

    /**
     * Runs {@code task(0..n-1)} on n threads released together; returns the failures of type {@code expected}
     * and rethrows any other.
     */
    private static <E extends Exception> List<E> runConcurrently(int n, IndexedTask task, Class<E> expected)
            throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Object>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            for (int i = 0; i < n; i++) {
                int index = i;
                Callable<Object> call = () -> {
                    start.await();
                    return task.run(index);
                };
                futures.add(pool.submit(call));
            }
            start.countDown();
        }
        List<E> failures = new ArrayList<>();
        for (Future<Object> f : futures) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (!expected.isInstance(e.getCause())) throw e;
                failures.add(expected.cast(e.getCause()));
            }
        }
        return failures;
    }

    @FunctionalInterface
    private interface IndexedTask {
        Object run(int index) throws Exception;
    }
}
