package io.quanthub.storage;

import java.util.ArrayList;
import java.util.List;

/**
 * One-time changes to a bucket written by an older version, each run once and then marked done at
 * {@code migrations/<step>}. Every step is idempotent, so two processes starting at once may both run it.
 *
 * <ol>
 *   <li>{@value #BLOB_ACCESS}: fills {@link BlobAccess}'s index of which repositories hold which blobs from every
 *       commit written before the index existed, so their blobs stay committable by those who can read them.</li>
 *   <li>{@value #PUSHED_VARIANTS}: deletes the variant records that older hubs registered for pushed GGUF files
 *       (converter version {@value #PUSHED_VERSION}). They were shared by source digest with every repository, so
 *       anyone who could write anywhere could replace everyone's quants; a pushed file is now a file of its
 *       repository alone, and only the hub's converter registers variants.</li>
 * </ol>
 */
public final class Migrations {
    /** What a run did: the steps it ran now (not those already marked done) and what they touched. */
    public record Report(List<String> ranSteps, int indexedCommits, int deletedPushedVariants) {}

    static final String BLOB_ACCESS = "blob-access-v1";
    static final String PUSHED_VARIANTS = "pushed-variants-v1";
    /** The converter version older hubs gave the variant records of pushed GGUF files. */
    static final String PUSHED_VERSION = "upload";
    private static final String PREFIX = "migrations/";

    private final ObjectStore s3;
    private final BlobAccess access;
    private final VariantStore variants;

    Migrations(ObjectStore s3, BlobAccess access, VariantStore variants) {
        this.s3 = s3;
        this.access = access;
        this.variants = variants;
    }

    Report run() {
        List<String> ran = new ArrayList<>();
        int commits = 0;
        int deleted = 0;
        if (!done(BLOB_ACCESS)) {
            commits = indexCommits();
            markDone(BLOB_ACCESS);
            ran.add(BLOB_ACCESS);
        }
        if (!done(PUSHED_VARIANTS)) {
            deleted = deletePushedVariants();
            markDone(PUSHED_VARIANTS);
            ran.add(PUSHED_VARIANTS);
        }
        return new Report(List.copyOf(ran), commits, deleted);
    }

    private int indexCommits() {
        int[] count = {0};
        s3.list(RepoStore.COMMITS).forEach(info -> s3.get(info.key()).ifPresent(json -> {
            Manifest manifest = StoredJson.read(json, Manifest.class, info.key());
            access.recordHeld(manifest.repo(), manifest.files().values().stream().map(Blob::digest).toList());
            count[0]++;
        }));
        return count[0];
    }

    private int deletePushedVariants() {
        int deleted = 0;
        for (Variant variant : variants.all()) {
            if (variant.key().converterVersion().equals(PUSHED_VERSION)) {
                variants.delete(variant.key());
                deleted++;
            }
        }
        return deleted;
    }

    private boolean done(String step) {
        return s3.stat(PREFIX + step).isPresent();
    }

    private void markDone(String step) {
        s3.put(PREFIX + step, new byte[0]);
    }
}
