package io.quanthub.storage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Deletes blobs that nothing references, and the debris of abandoned uploads.
 *
 * <p>A blob is kept if any commit of any repository lists it (history stays downloadable; refs only point at
 * commits, so every blob a ref can reach is in a commit), if a variant record or a rendered preview
 * ({@link PreviewImages}) names it, if a live upload lease names
 * it, or if it is younger than the grace period. Everything else under {@code blobs/} is deleted, using the
 * intent/lease handshake in {@link UploadLeases} so that an upload that de-duplicates against a blob at the same
 * moment never loses it. Also removed: expired leases; staged objects ({@code uploads/}), open-upload records of
 * {@link StagedUploads} ({@code staged/}) and unfinished multipart uploads, each older than the grace period and
 * with no live lease; and intents left by crashed runs. A dry run reports the same without deleting anything.
 *
 * <p>A run reads every commit and variant record, so its cost grows with their number. It blocks; run it from a
 * scheduled worker. Several runs at once are safe.
 */
public final class GarbageCollector {
    /**
     * A run stops deleting after this long, so that an intent older than this plus a margin for clock skew
     * belongs to a crashed run and may be ignored or removed.
     */
    static final Duration MAX_RUN = Duration.ofHours(1);
    static final Duration STALE_INTENT = MAX_RUN.plusMinutes(10);

    /**
     * What a run did, or for a dry run what it would have done.
     *
     * @param deletedBlobs         unreferenced blobs deleted
     * @param deletedBytes         their bytes
     * @param abortedUploads       unfinished multipart uploads aborted
     * @param deletedStagedObjects staged objects ({@code uploads/}) and open-upload records ({@code staged/})
     * @param deletedLeases        expired upload leases
     * @param reclaimedBytes       every byte freed: the blobs', the staged objects' and the aborted uploads' parts
     * @param complete             false when the run stopped at {@link #MAX_RUN} before finishing
     */
    public record Report(boolean dryRun, List<Digest> deletedBlobs, long deletedBytes, int abortedUploads,
                         int deletedStagedObjects, int deletedLeases, long reclaimedBytes, boolean complete) {}

    private final ObjectStore s3;
    private final UploadLeases leases;
    private final StorageOptions options;

    GarbageCollector(ObjectStore s3, UploadLeases leases, StorageOptions options) {
        this.s3 = s3;
        this.leases = leases;
        this.options = options;
    }

    /** One collection run; blobs modified less than {@code grace} ago are never deleted. */
    public Report collect(Duration grace) {
        return collect(grace, false);
    }

    /**
     * One collection run, or with {@code dryRun} a report of what a run would delete now that deletes nothing
     * (not even the intents and leases of the handshake are written).
     */
    public Report collect(Duration grace, boolean dryRun) {
        if (grace.isNegative()) throw new IllegalArgumentException("negative grace period " + grace);
        Instant started = options.clock().instant();
        Instant cutoff = started.minus(grace);
        String runId = UUID.randomUUID().toString();

        // 1. Candidates: blobs older than the grace period that no commit or variant references.
        Set<Digest> referenced = referencedBlobs();
        List<ObjectStore.ObjectInfo> candidates = s3.list(BlobStore.PREFIX)
                .filter(info -> info.lastModified().isBefore(cutoff))
                .filter(info -> !referenced.contains(digestOf(info)))
                .toList();

        // 2. Announce the intent to delete them, and only then 3. read the leases (the order is what makes it safe,
        // see UploadLeases). A lease counts if it was live when the run started: a commit made while it was live
        // is older than the scan of step 1, so its blobs are not candidates. 4. Delete the rest.
        List<Digest> deleted = new ArrayList<>();
        long deletedBytes = 0;
        boolean complete = true;
        List<Digest> announced = new ArrayList<>();
        try {
            for (ObjectStore.ObjectInfo info : candidates) {
                if (dryRun) break;
                leases.declareIntent(digestOf(info), runId, started);
                announced.add(digestOf(info));
            }
            Set<Digest> leased = new HashSet<>();
            for (UploadLeases.Lease lease : leases.all()) {
                if (lease.digest() != null && leases.isLive(lease, started)) leased.add(lease.digest());
            }
            for (ObjectStore.ObjectInfo info : candidates) {
                if (leased.contains(digestOf(info))) continue;
                if (options.clock().instant().isAfter(started.plus(MAX_RUN))) {
                    complete = false;
                    break;
                }
                if (!dryRun) s3.delete(info.key());
                deleted.add(digestOf(info));
                deletedBytes += info.size();
            }
        } finally {
            for (Digest digest : announced) leases.withdrawIntent(digest, runId);
        }

        Debris debris = removeDebris(started, cutoff, dryRun);
        return new Report(dryRun, List.copyOf(deleted), deletedBytes, debris.abortedUploads, debris.stagedObjects,
                debris.leases, deletedBytes + debris.bytes, complete);
    }

    /** Every blob a commit lists, a variant names or a rendered preview shows. */
    private Set<Digest> referencedBlobs() {
        Set<Digest> digests = new HashSet<>();
        s3.list("commits/").forEach(info -> s3.get(info.key()).ifPresent(json ->
                digests.addAll(StoredJson.read(json, Manifest.class, info.key()).files().values().stream()
                        .map(Blob::digest).toList())));
        s3.list("variants/").forEach(info -> s3.get(info.key()).ifPresent(json -> {
            Variant variant = StoredJson.read(json, Variant.class, info.key());
            digests.add(variant.key().source());
            if (variant.output() != null) digests.add(variant.output().digest());
        }));
        s3.list(PreviewImages.PREFIX).forEach(info -> s3.get(info.key()).ifPresent(json -> {
            PreviewImages.Rendered rendered = StoredJson.read(json, PreviewImages.Rendered.class, info.key());
            digests.add(Digest.parse(rendered.image()));
            if (rendered.heatmap() != null) digests.add(Digest.parse(rendered.heatmap()));
        }));
        return digests;
    }

    private record Debris(int abortedUploads, int stagedObjects, int leases, long bytes) {}

    /** Expired leases, and staged objects, multipart uploads and intents nobody will finish. */
    private Debris removeDebris(Instant now, Instant cutoff, boolean dryRun) {
        // List the uploads and staged objects before reading the leases: an upload takes its lease before it starts,
        // so every upload listed here has its lease in the read below. (Read the other way round, an upload started
        // in between had no lease yet and, with S3's whole-second timestamps and a short grace, looked old.)
        List<ObjectStore.PendingUpload> uploads = s3.listMultipartUploads("");
        List<ObjectStore.ObjectInfo> stagedObjects = new ArrayList<>(s3.list(UploadLeases.STAGING).toList());
        stagedObjects.addAll(s3.list(StagedUploads.OPEN).toList());
        List<UploadLeases.Lease> all = leases.all();
        Set<String> protectedKeys = new HashSet<>();
        int expired = 0;
        for (UploadLeases.Lease lease : all) {
            if (leases.isLive(lease, now)) {
                protectedKeys.add(lease.stagingKey());
                protectedKeys.add(StagedUploads.openKey(lease.id()));
                if (lease.digest() != null) protectedKeys.add(BlobStore.key(lease.digest()));
            } else {
                if (!dryRun) leases.release(lease);
                expired++;
            }
        }
        int aborted = 0;
        long bytes = 0;
        for (ObjectStore.PendingUpload upload : uploads) {
            if (upload.initiated().isBefore(cutoff) && !protectedKeys.contains(upload.key())) {
                long uploadBytes = s3.multipartBytes(upload.key(), upload.uploadId());
                if (!dryRun) {
                    try {
                        s3.abortMultipart(upload.key(), upload.uploadId());
                    } catch (StorageException.NotFound endedMeanwhile) {
                        continue; // completed or aborted by its owner since the listing: nothing to reclaim
                    }
                }
                bytes += uploadBytes;
                aborted++;
            }
        }
        int staged = 0;
        for (ObjectStore.ObjectInfo info : stagedObjects) {
            if (info.lastModified().isBefore(cutoff) && !protectedKeys.contains(info.key())) {
                if (!dryRun) s3.delete(info.key());
                if (info.key().startsWith(UploadLeases.STAGING)) bytes += info.size();
                staged++;
            }
        }
        // Intents of runs that crashed before withdrawing them (a live run stops deleting after MAX_RUN).
        if (!dryRun) {
            s3.list(UploadLeases.INTENTS).toList().forEach(info -> s3.get(info.key()).ifPresent(json -> {
                if (StoredJson.read(json, UploadLeases.Intent.class, info.key()).started()
                        .isBefore(now.minus(STALE_INTENT))) {
                    s3.delete(info.key());
                }
            }));
        }
        return new Debris(aborted, staged, expired, bytes);
    }

    private static Digest digestOf(ObjectStore.ObjectInfo blobObject) {
        return new Digest(blobObject.key().substring(BlobStore.PREFIX.length()));
    }
}
