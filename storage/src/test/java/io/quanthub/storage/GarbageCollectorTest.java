package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class GarbageCollectorTest extends S3TestSupport {
    private static final Duration DAY = Duration.ofDays(1);
    private final RepoName repo = RepoName.parse("acme/sdxl");

    private Blob upload(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return storage.blobs().put(new ByteArrayInputStream(bytes), bytes.length);
    }

    private Set<Digest> stored() {
        return Set.copyOf(storage.blobs().list().map(Blob::digest).toList());
    }

    @Test
    void deletesOnlyUnreferencedBlobsOnceTheirLeaseHasEnded() {
        storage.repos().create(repo, "alice");
        Blob committed = upload("committed");
        storage.repos().commit(CommitRequest.onHead(repo, "main", Changes.put("unet.gguf", committed), "alice", "add"));
        Blob variantOutput = upload("variant output");
        var provenance = new Variant.Provenance(repo, storage.repos().resolve(repo, "main").id(), "unet.gguf",
                "upload", Instant.now());
        storage.variants().registerVariant(new Variant.Key(committed.digest(), "Q8_0", "upload"), variantOutput, 8.5,
                provenance);
        Blob previewImage = upload("a rendered preview's png");
        storage.previews().put("preview-0123456789abcdef01234567",
                new PreviewImages.Rendered(repo.toString(), previewImage.digest().toString(), null));
        Blob abandoned = upload("uploaded but never committed");

        // Within the lease time nothing goes, even with no grace period at all.
        clock.advance(Duration.ofHours(1));
        GarbageCollector.Report early = storage.gc().collect(Duration.ZERO);
        assertEquals(List.of(), early.deletedBlobs());
        assertEquals(Set.of(committed.digest(), variantOutput.digest(), previewImage.digest(), abandoned.digest()),
                stored());

        // Two days later the leases have expired: the abandoned blob goes, the referenced ones stay.
        clock.advance(DAY.multipliedBy(2));
        GarbageCollector.Report report = storage.gc().collect(Duration.ofHours(1));
        assertEquals(List.of(abandoned.digest()), report.deletedBlobs());
        assertEquals(abandoned.size(), report.deletedBytes());
        assertEquals(4, report.deletedLeases());
        assertTrue(report.complete());
        assertEquals(Set.of(committed.digest(), variantOutput.digest(), previewImage.digest()), stored(),
                "commits, variants and rendered previews hold their blobs");
        assertEquals(List.of(), keys(UploadLeases.LEASES));
        assertEquals(List.of(), keys(UploadLeases.INTENTS), "intents withdrawn");
    }

    @Test
    void blobsYoungerThanTheGracePeriodAreKept() {
        Blob young = upload("young");
        clock.advance(DAY.multipliedBy(2)); // the lease has expired; only the grace period protects the blob
        assertEquals(List.of(), storage.gc().collect(DAY.multipliedBy(3)).deletedBlobs());
        assertEquals(Set.of(young.digest()), stored());
        assertEquals(List.of(young.digest()), storage.gc().collect(DAY).deletedBlobs());
    }

    @Test
    void anUploadInFlightKeepsItsStagedPartsAndFinishes() throws Exception {
        byte[] data = randomBytes(11, 3 * PART + 99);
        CountDownLatch twoPartsRead = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        // Delivers two parts, then waits (as a slow client would) until the test has run the collector.
        InputStream slow = new UploadStream(data) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (position >= 2 * PART && resume.getCount() > 0) {
                    twoPartsRead.countDown();
                    try {
                        resume.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                return super.read(b, off, len);
            }
        };
        // An upload abandoned long ago, with no lease: the collector should abort it.
        String abandonedId = objects().startMultipart(UploadLeases.STAGING + "abandoned");
        objects().put(UploadLeases.STAGING + "left-over", new byte[] {1, 2, 3});

        try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
            Future<Blob> upload = pool.submit(() -> storage.blobs().put(slow, 1L << 30));
            try {
                twoPartsRead.await(); // by now part 1 is stored and part 2 is on its way
                assertEquals(2, objects().listMultipartUploads("").size());

                GarbageCollector.Report report = storage.gc().collect(Duration.ZERO);
                assertEquals(1, report.abortedUploads());
                assertEquals(1, report.deletedStagedObjects());
                List<ObjectStore.PendingUpload> left = objects().listMultipartUploads("");
                assertEquals(1, left.size());
                assertTrue(!left.getFirst().uploadId().equals(abandonedId), "the abandoned upload was aborted");
            } finally {
                resume.countDown(); // never leave the upload thread waiting, even when an assertion failed
            }
            Blob blob = upload.get();
            assertEquals(sha256Hex(data), blob.digest().hex());
            try (InputStream in = storage.blobs().open(blob.digest())) {
                assertArrayEquals(data, in.readAllBytes());
            }
        }
        // And right after the upload the blob is still leased, so a collection with no grace keeps it.
        assertEquals(List.of(), storage.gc().collect(Duration.ZERO).deletedBlobs());
        assertEquals(List.of(), objects().listMultipartUploads(""));
        assertEquals(List.of(), keys(UploadLeases.STAGING));
    }

    @Test
    void aDryRunReportsWhatARunDeletesAndDeletesNothing() {
        Blob abandoned = upload("uploaded but never committed");
        // A converter that died mid-output: an open staged upload with one part, its record under staged/.
        StagedUploads.Upload dead = storage.staged().start();
        storage.staged().uploadPart(dead, 1, randomBytes(3, PART));
        clock.advance(DAY.multipliedBy(2)); // both leases have ended
        List<String> before = keys("");

        GarbageCollector.Report dry = storage.gc().collect(Duration.ofHours(1), true);
        assertTrue(dry.dryRun());
        assertEquals(List.of(abandoned.digest()), dry.deletedBlobs());
        assertEquals(1, dry.abortedUploads());
        assertEquals(1, dry.deletedStagedObjects(), "the staged/ record");
        assertEquals(2, dry.deletedLeases());
        assertEquals(abandoned.size() + PART, dry.reclaimedBytes());
        assertEquals(before, keys(""), "a dry run deletes nothing");
        assertEquals(1, objects().listMultipartUploads("").size());

        GarbageCollector.Report run = storage.gc().collect(Duration.ofHours(1));
        assertEquals(new GarbageCollector.Report(false, dry.deletedBlobs(), dry.deletedBytes(), dry.abortedUploads(),
                dry.deletedStagedObjects(), dry.deletedLeases(), dry.reclaimedBytes(), true), run);
        assertEquals(List.of(), keys(""), "blob, lease and staged record are gone");
        assertEquals(List.of(), objects().listMultipartUploads(""));
        assertEquals(List.of(), storage.staged().open());
    }

    @Test
    void intentsOfCrashedRunsAreRemoved() {
        Digest digest = Digest.of(new byte[] {5});
        new UploadLeases(objects(), StorageOptions.defaults().withClock(clock))
                .declareIntent(digest, "crashed-run", clock.instant());
        clock.advance(GarbageCollector.STALE_INTENT.plusMinutes(1));
        storage.gc().collect(Duration.ofHours(1));
        assertEquals(List.of(), keys(UploadLeases.INTENTS));
    }
}
