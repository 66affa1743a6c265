package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VariantStoreTest extends S3TestSupport {
    private final RepoName repo = RepoName.parse("acme/flux-schnell");
    private Blob source;
    private Commit commit;
    private VariantStore variants;

    @BeforeEach
    void commitASourceFile() {
        variants = storage.variants();
        storage.repos().create(repo, "alice");
        source = upload("bf16 weights");
        commit = storage.repos().commit(CommitRequest.onHead(repo, "main",
                Changes.put("transformer/model.safetensors", source), "alice", "source"));
    }

    private Blob upload(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return storage.blobs().put(new ByteArrayInputStream(bytes), bytes.length);
    }

    private Variant.Provenance provenance(String tool) {
        return new Variant.Provenance(repo, commit.id(), "transformer/model.safetensors", tool,
                Instant.parse("2026-11-22T08:00:00Z"));
    }

    @Test
    void aRequestedVariantBecomesAvailableThroughTheSameRecord() {
        Variant.Key key = new Variant.Key(source.digest(), "Q4_K_M", "0.1.0");
        Variant pending = variants.request(key, provenance("quanthub-convert 0.1.0"));
        assertEquals(Variant.Status.PENDING, pending.status());
        assertEquals(pending, variants.request(key, provenance("someone else")), "requested once");
        assertEquals(List.of("variants/" + source.digest().hex() + "/Q4_K_M/0.1.0.json"), keys("variants/"));

        Blob gguf = upload("gguf Q4_K_M bytes");
        Variant available = variants.registerVariant(key, gguf, 4.83, provenance("quanthub-convert 0.1.0"));
        assertEquals(Variant.Status.AVAILABLE, available.status());
        assertEquals(gguf, available.output());
        assertEquals(Optional.of(available), variants.get(key));
        assertEquals(available, variants.request(key, provenance("late")), "a request sees the available variant");
        assertEquals(available, variants.registerVariant(key, gguf, 4.83, provenance("again")), "idempotent");
        assertEquals(available, variants.markFailed(key, "worker died"), "an available variant stays available");

        Blob different = upload("other bytes");
        var e = assertThrows(StorageException.AlreadyExists.class,
                () -> variants.registerVariant(key, different, 4.83, provenance("x")));
        assertTrue(e.getMessage().contains(gguf.digest().toString()), e.getMessage());
    }

    @Test
    void pushedQuantsFailuresAndListing() {
        Variant.Key q8 = new Variant.Key(source.digest(), "Q8_0", "upload");
        Blob pushed = upload("a ready-made Q8_0");
        Variant registered = variants.registerVariant(q8, pushed, 8.5, provenance("upload"));
        assertEquals(Variant.Status.AVAILABLE, registered.status());

        Variant.Key q2 = new Variant.Key(source.digest(), "Q2_K", "0.1.0");
        variants.request(q2, provenance("quanthub-convert 0.1.0"));
        Variant failed = variants.markFailed(q2, "tensor shape not divisible by 256");
        assertEquals(Variant.Status.FAILED, failed.status());
        assertEquals("tensor shape not divisible by 256", failed.error());

        assertEquals(List.of(q2, q8), variants.list(source.digest()).stream().map(Variant::key).toList());
        assertEquals(List.of(), variants.list(Digest.of(new byte[] {1})));
        assertEquals(Optional.empty(), variants.get(new Variant.Key(source.digest(), "Q5_K_S", "0.1.0")));
        assertThrows(StorageException.NotFound.class,
                () -> variants.markFailed(new Variant.Key(source.digest(), "Q5_K_S", "0.1.0"), "x"));
    }

    @Test
    void theConvertersQualityRecordIsStoredBesideTheVariant() {
        Variant.Key key = new Variant.Key(source.digest(), "Q4_K_S", "0.1.0");
        variants.request(key, provenance("quanthub-convert 0.1.0"));
        assertEquals(Optional.empty(), variants.quality(key));
        VariantQuality quality = new VariantQuality(0.0625, 0.998, 4.5, 17, 3072, List.of(
                new VariantQuality.TensorQuality("img_in.weight", "Q4_K", 3072, 0.0625, 0.998, 3.0, 0.01171875,
                        2.99, 2.995)));

        Blob gguf = upload("gguf Q4_K_S bytes");
        variants.registerVariant(key, gguf, 4.5, provenance("quanthub-convert 0.1.0"), quality);

        assertEquals(Optional.of(quality), variants.quality(key));
        assertEquals(Variant.Status.AVAILABLE, variants.get(key).orElseThrow().status());
        assertEquals(List.of(key), variants.list(source.digest()).stream().map(Variant::key).toList(),
                "the quality record is not listed as a variant");
    }

    @Test
    void outputsMustBeUploadedAndRecordsValid() {
        Variant.Key key = new Variant.Key(source.digest(), "Q4_0", "0.1.0");
        Blob notUploaded = new Blob(Digest.of(new byte[] {7}), 1);
        assertThrows(StorageException.NotFound.class,
                () -> variants.registerVariant(key, notUploaded, 4.5, provenance("x")));
        Blob gguf = upload("q4_0");
        assertThrows(IllegalArgumentException.class,
                () -> variants.registerVariant(key, new Blob(gguf.digest(), 999), 4.5, provenance("x")));
        assertThrows(IllegalArgumentException.class, () -> variants.registerVariant(key, gguf, 0, provenance("x")));
        assertThrows(IllegalArgumentException.class, () -> new Variant.Key(source.digest(), "Q4/../x", "0.1.0"));
        assertThrows(IllegalArgumentException.class,
                () -> new Variant.Provenance(repo, commit.id(), "../escape", "x", Instant.EPOCH));
    }
}
