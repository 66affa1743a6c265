package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resolving a branch and committing on it cost the same number of S3 requests, and list no log entries, whether the
 * branch has one commit or many: counted, not timed, so the test is exact on any machine.
 */
class HistoryCostTest extends S3TestSupport {
    private static final int MANY = 120;

    private final RepoName repo = RepoName.parse("alice/long-history");
    private final Ref main = Ref.branch(repo, "main");
    private Blob blob;

    @BeforeEach
    void createRepo() {
        storage.repos().create(repo, "alice");
        byte[] bytes = "weights".getBytes(StandardCharsets.UTF_8);
        blob = storage.blobs().put(new ByteArrayInputStream(bytes), bytes.length);
    }

    private Commit commit(int n) {
        return storage.repos().commit(CommitRequest.onHead(repo, "main",
                Changes.put("file-" + (n % 3) + ".bin", blob), "alice", "commit " + n));
    }

    private ObjectStore.Traffic cost(Supplier<?> operation) {
        ObjectStore.Traffic before = objects().traffic();
        operation.get();
        return objects().traffic().minus(before);
    }

    private record Costs(ObjectStore.Traffic resolve, ObjectStore.Traffic commit, ObjectStore.Traffic listRefs) {}

    private Costs costsAt(int[] counter) {
        ObjectStore.Traffic resolve = cost(() -> storage.repos().resolve(repo, "main"));
        ObjectStore.Traffic commit = cost(() -> commit(counter[0]++));
        ObjectStore.Traffic listRefs = cost(() -> storage.refs().list(repo, Ref.Kind.BRANCH));
        return new Costs(resolve, commit, listRefs);
    }

    @Test
    void resolveCommitAndBranchListCostTheSameAtOneAndAtManyCommits() {
        int[] counter = {0};
        commit(counter[0]++);
        Costs atOne = costsAt(counter);
        while (counter[0] < MANY) commit(counter[0]++);
        Costs atMany = costsAt(counter);
        System.out.printf("S3 traffic at 2 and %d commits: resolve %s / %s, commit %s / %s, branch list %s / %s%n",
                MANY, atOne.resolve(), atMany.resolve(), atOne.commit(), atMany.commit(), atOne.listRefs(),
                atMany.listRefs());

        assertEquals(atOne, atMany);
        assertEquals(0, atMany.resolve().listedObjects(), "resolve lists no log entries");
        assertEquals(0, atMany.commit().listedObjects(), "commit lists no log entries");
        assertEquals(MANY + 1, storage.refs().history(main).size());
        assertEquals(MANY + 1, storage.repos().history(repo, storage.refs().resolve(main).orElseThrow(),
                Integer.MAX_VALUE).size());
    }

    @Test
    void aStaleOrMissingHintNeverGivesAWrongHead() {
        Commit first = commit(0);
        String hint = Refs.repoPrefix(repo) + "heads/main/head";
        byte[] staleHint = objects().get(hint).orElseThrow();
        Commit second = commit(1);
        Commit third = commit(2);

        // A writer that crashed between its append and its hint, or hints written out of order.
        objects().put(hint, staleHint);
        assertEquals(third.id(), storage.refs().resolve(main).orElseThrow());
        ObjectStore.Traffic afterRepair = cost(() -> storage.refs().resolve(main));
        assertEquals(0, afterRepair.listedObjects());
        assertTrue(afterRepair.requests() <= 2, "the reader repaired the hint: " + afterRepair);

        // A store written before hints existed: one listing, then the hint is back.
        objects().delete(hint);
        assertEquals(third.id(), storage.refs().resolve(main).orElseThrow());
        assertTrue(objects().get(hint).isPresent());
        assertEquals(0, cost(() -> storage.refs().resolve(main)).listedObjects());

        // Moves after a stale hint still get the next sequence number and keep the whole chain.
        objects().put(hint, staleHint);
        Commit fourth = commit(3);
        assertEquals(third.id(), fourth.parent());
        assertEquals(second.id(), third.parent());
        assertEquals(first.id(), second.parent());
        assertEquals(4, storage.refs().history(main).size());
        assertEquals(java.util.Map.of("main", fourth.id()), storage.refs().list(repo, Ref.Kind.BRANCH));
    }
}
