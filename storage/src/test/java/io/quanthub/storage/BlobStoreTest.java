package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BlobStoreTest extends S3TestSupport {

    @Test
    void smallBlobRoundTripsWithItsSha256() throws IOException {
        byte[] data = randomBytes(1, 1000);
        Blob blob = storage.blobs().put(new UploadStream(data), 1 << 20);

        assertEquals(sha256Hex(data), blob.digest().hex());
        assertEquals(1000, blob.size());
        assertEquals(Optional.of(blob), storage.blobs().stat(blob.digest()));
        assertEquals(List.of("blobs/sha256/" + blob.digest().hex()), keys("blobs/"));
        try (InputStream in = storage.blobs().open(blob.digest())) {
            assertArrayEquals(data, in.readAllBytes());
        }
        try (InputStream in = storage.blobs().open(blob.digest(), 10, 20)) {
            assertArrayEquals(Arrays.copyOfRange(data, 10, 30), in.readAllBytes());
        }
    }

    @Test
    void largeBlobOfUnknownLengthGoesUpInPartsAndReadsBackByRange() throws IOException {
        // Two and a half parts: three multipart parts, then a three-range server-side copy (maxCopyPart = PART).
        byte[] data = randomBytes(2, 2 * PART + PART / 2 + 123);
        Blob blob = storage.blobs().put(new UploadStream(data), 100L << 20);

        assertEquals(sha256Hex(data), blob.digest().hex());
        assertEquals(data.length, blob.size());
        assertEquals(Optional.of(blob), storage.blobs().stat(blob.digest()));
        try (InputStream in = storage.blobs().open(blob.digest())) {
            assertEquals(sha256Hex(data), sha256Hex(in.readAllBytes()));
        }
        // Ranges across the part boundaries and at the very end.
        for (long offset : new long[] {PART - 10, 2L * PART - 1, data.length - 7}) {
            try (InputStream in = storage.blobs().open(blob.digest(), offset, 20)) {
                int end = (int) Math.min(offset + 20, data.length);
                assertArrayEquals(Arrays.copyOfRange(data, (int) offset, end), in.readAllBytes(), "offset " + offset);
            }
        }
        assertEquals(List.of(), keys(UploadLeases.STAGING), "staging object removed");
        assertEquals(List.of(), objects().listMultipartUploads(""));
    }

    @Test
    void blobOfExactlyOnePartIsCopiedInOneRequest() throws IOException {
        byte[] data = randomBytes(3, PART);
        Blob blob = storage.blobs().put(new UploadStream(data), PART);
        assertEquals(sha256Hex(data), blob.digest().hex());
        try (InputStream in = storage.blobs().open(blob.digest())) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void announcedDigestIsVerifiedBeforeTheBlobBecomesVisible() {
        byte[] data = randomBytes(4, 2 * PART + 5);
        Digest right = Digest.of(data);
        assertEquals(new Blob(right, data.length), storage.blobs().put(new UploadStream(data), 1L << 30, right));

        byte[] other = randomBytes(5, 2 * PART + 5);
        Digest wrong = Digest.of(new byte[] {1});
        var e = assertThrows(StorageException.DigestMismatch.class,
                () -> storage.blobs().put(new UploadStream(other), 1L << 30, wrong));
        assertTrue(e.getMessage().contains(Digest.of(other).toString()), e.getMessage());
        assertEquals(List.of("blobs/sha256/" + right.hex()), keys("blobs/"));
        assertEquals(List.of(), objects().listMultipartUploads(""));
        // Small uploads are verified the same way.
        assertThrows(StorageException.DigestMismatch.class,
                () -> storage.blobs().put(new ByteArrayInputStream(new byte[] {2}), 10, wrong));
        assertEquals(List.of("blobs/sha256/" + right.hex()), keys("blobs/"));
    }

    @Test
    void identicalContentIsStoredOnce() {
        byte[] large = randomBytes(6, PART + 77);
        byte[] small = randomBytes(7, 77);
        Blob first = storage.blobs().put(new UploadStream(large), 1L << 30);
        Blob second = storage.blobs().put(new UploadStream(large), 1L << 30);
        Blob third = storage.blobs().put(new UploadStream(large), 1L << 30, first.digest());
        Blob s1 = storage.blobs().put(new UploadStream(small), 1000);
        Blob s2 = storage.blobs().put(new UploadStream(small), 1000);

        assertEquals(first, second);
        assertEquals(first, third);
        assertEquals(s1, s2);
        assertEquals(2, storage.blobs().list().count());
        assertEquals(List.of(), keys(UploadLeases.STAGING));
        assertEquals(List.of(), objects().listMultipartUploads(""));
    }

    @Test
    void streamFailingMidwayLeavesNoObjectAndNoMultipartUpload() {
        byte[] data = randomBytes(8, 3 * PART);
        var e = assertThrows(StorageException.class,
                () -> storage.blobs().put(new UploadStream(data, PART + PART / 2), 1L << 30));
        assertTrue(e.getMessage().contains("connection reset"), e.getMessage());
        assertNothingLeft();
    }

    @Test
    void sizeLimitIsEnforcedWhileStreaming() {
        byte[] data = randomBytes(9, 3 * PART);
        UploadStream stream = new UploadStream(data);
        var e = assertThrows(StorageException.TooLarge.class, () -> storage.blobs().put(stream, 2L * PART + 1));
        assertEquals(2L * PART + 1, e.limit());
        assertTrue(stream.position < data.length, "stopped reading before the end");
        assertNothingLeft();

        assertThrows(StorageException.TooLarge.class,
                () -> storage.blobs().put(new UploadStream(randomBytes(10, 1000)), 999));
        assertNothingLeft();
        // Exactly at the limit is fine.
        assertEquals(1000, storage.blobs().put(new UploadStream(randomBytes(10, 1000)), 1000).size());
    }

    @Test
    void missingBlobsAndBadRanges() {
        Digest missing = Digest.of(new byte[] {42});
        assertEquals(Optional.empty(), storage.blobs().stat(missing));
        assertThrows(StorageException.NotFound.class, () -> storage.blobs().open(missing));
        assertThrows(StorageException.NotFound.class, () -> storage.blobs().open(missing, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> storage.blobs().open(missing, -1, 5));
        assertThrows(IllegalArgumentException.class, () -> storage.blobs().put(InputStream.nullInputStream(), -1));
    }

    @Test
    void emptyBlobIsABlobToo() throws IOException {
        Blob empty = storage.blobs().put(InputStream.nullInputStream(), 0);
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty.digest().hex());
        try (InputStream in = storage.blobs().open(empty.digest())) {
            assertEquals(0, in.readAllBytes().length);
        }
    }

    @Test
    void partSizeGrowsForHugeLimitsSoTenThousandPartsSuffice() {
        assertEquals(PART, storage.blobs().partSizeFor(1L << 30));
        long limit = 200L << 30; // 200 GiB needs 20.48 MiB parts, rounded up to 21 MiB
        assertEquals(21 << 20, storage.blobs().partSizeFor(limit));
        assertThrows(IllegalArgumentException.class, () -> storage.blobs().partSizeFor(Long.MAX_VALUE));
    }

    /** No blob, no staged object, no unfinished multipart upload, no lease. */
    private void assertNothingLeft() {
        assertEquals(List.of(), keys(BlobStore.PREFIX));
        assertEquals(List.of(), keys(UploadLeases.STAGING));
        assertEquals(List.of(), keys(UploadLeases.LEASES));
        assertEquals(List.of(), objects().listMultipartUploads(""));
    }
}
