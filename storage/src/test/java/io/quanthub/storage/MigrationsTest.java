package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A bucket written before blob access and pushed quants changed, brought up to date by {@link Migrations}. */
class MigrationsTest extends S3TestSupport {
    private final RepoName repo = RepoName.parse("acme/flux");

    private Blob upload(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return storage.blobs().put(new ByteArrayInputStream(bytes), bytes.length);
    }

    /** Removes what a current version writes and an older one did not: the index and the migration markers. */
    private void forgetNewerState() {
        for (String key : keys(BlobAccess.PREFIX)) objects().delete(key);
        for (String key : keys("migrations/")) objects().delete(key);
    }

    @Test
    void indexesOldCommitsAndRemovesPushedQuantVariantsOnce() {
        storage.repos().create(repo, "alice");
        Blob source = upload("source model");
        Blob pushedGguf = upload("pushed gguf");
        Blob converted = upload("converted gguf");
        Commit commit = storage.repos().commit(CommitRequest.onHead(repo, "main",
                Changes.of(Map.of("model.safetensors", source, "x-Q8_0.gguf", pushedGguf), Set.of()), "alice", "add"));
        Variant.Provenance provenance = new Variant.Provenance(repo, commit.id(), "x-Q8_0.gguf",
                Migrations.PUSHED_VERSION, Instant.now());
        Variant.Key pushedKey = new Variant.Key(source.digest(), "Q8_0", Migrations.PUSHED_VERSION);
        storage.variants().registerVariant(pushedKey, pushedGguf, 8.5, provenance);
        Variant.Key convertedKey = new Variant.Key(source.digest(), "Q4_0", "qh-1");
        storage.variants().registerVariant(convertedKey, converted, 4.5, provenance);
        forgetNewerState();
        assertEquals(List.of(), storage.access().holders(source.digest()));

        Migrations.Report report = storage.migrate();
        assertEquals(List.of(Migrations.BLOB_ACCESS, Migrations.PUSHED_VARIANTS), report.ranSteps());
        assertEquals(1, report.indexedCommits());
        assertEquals(1, report.deletedPushedVariants());
        assertEquals(List.of(repo), storage.access().holders(source.digest()));
        assertEquals(List.of(repo), storage.access().holders(pushedGguf.digest()));
        assertTrue(storage.variants().get(pushedKey).isEmpty(), "the pushed quant's variant record is gone");
        assertTrue(storage.variants().get(convertedKey).isPresent(), "the converter's variant stays");

        Migrations.Report again = storage.migrate();
        assertEquals(List.of(), again.ranSteps(), "each step runs once");
    }

    @Test
    void commitsRecordTheirBlobsAndUploadsRecordTheirRepository() {
        storage.repos().create(repo, "alice");
        Blob blob = upload("weights");
        assertFalse(storage.access().uploadedTo(repo, blob.digest()));
        storage.access().recordUpload(repo, blob.digest());
        assertTrue(storage.access().uploadedTo(repo, blob.digest()));
        assertFalse(storage.access().uploadedTo(RepoName.parse("acme/other"), blob.digest()));

        storage.repos().commit(CommitRequest.onHead(repo, "main", Changes.put("w.bin", blob), "alice", "add"));
        RepoName second = RepoName.parse("beta/copy");
        storage.repos().create(second, "bob");
        storage.repos().commit(CommitRequest.onHead(second, "main", Changes.put("w.bin", blob), "bob", "add"));
        assertEquals(List.of(repo, second), storage.access().holders(blob.digest()));
    }
}
