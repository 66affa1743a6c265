package io.quanthub.storage;

import io.minio.messages.Part;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Immutable, content-addressed blobs: the bytes of every file in every repository, stored once per sha256 at
 * {@code blobs/sha256/<hex>}.
 *
 * <p>Uploads stream with bounded memory (two parts of {@link StorageOptions#partSize()}), hash as they go and
 * stop as soon as the caller's size limit is passed. A blob that fits in one part is written straight to its
 * address. A bigger one goes up as an S3 multipart upload, either straight to its address when the caller
 * announced the digest (the upload is only completed once the bytes are verified), or to a staging key
 * {@code uploads/<id>} followed by a server-side copy to the address. Whatever fails, the multipart upload is
 * aborted and the staged object deleted, so a failed upload leaves nothing behind. Identical content is stored
 * once. Every upload holds a lease against garbage collection; see {@link UploadLeases}.
 *
 * <p>All methods block: call them from worker or virtual threads, never from an event loop.
 */
public final class BlobStore {
    static final String PREFIX = "blobs/sha256/";
    /** S3 allows at most 10,000 parts per multipart upload. */
    private static final long MAX_PARTS = 10_000;
    /** Part sizes grow in whole MiB when a size limit needs more than 10,000 default parts. */
    private static final long MIB = 1 << 20;

    private final ObjectStore s3;
    private final UploadLeases leases;
    private final StorageOptions options;

    BlobStore(ObjectStore s3, UploadLeases leases, StorageOptions options) {
        this.s3 = s3;
        this.leases = leases;
        this.options = options;
    }

    /** The object key of a blob in the bucket: {@code blobs/sha256/<hex>}. */
    public static String key(Digest digest) {
        return PREFIX + digest.hex();
    }

    /** Stores everything {@code in} yields (at most {@code maxBytes}) and returns its digest and size. */
    public Blob put(InputStream in, long maxBytes) {
        return put(in, maxBytes, null);
    }

    /**
     * Like {@link #put(InputStream, long)}, for a caller that knows the digest in advance (a client that hashed
     * its file first): large uploads then skip the staging copy. Throws {@link StorageException.DigestMismatch}
     * if the bytes hash to something else, {@link StorageException.TooLarge} past {@code maxBytes}; in both
     * cases nothing is stored.
     */
    public Blob put(InputStream in, long maxBytes, Digest expected) {
        if (maxBytes < 0) throw new IllegalArgumentException("negative size limit " + maxBytes);
        int partSize = partSizeFor(maxBytes);
        UploadLeases.Lease lease = leases.acquire(expected);
        try {
            return upload(new HashingReader(in, maxBytes), partSize, expected, lease);
        } catch (RuntimeException e) {
            // The upload stored nothing, so its lease protects nothing.
            try {
                leases.release(lease);
            } catch (RuntimeException releaseFailure) {
                e.addSuppressed(releaseFailure);
            }
            throw e;
        }
    }

    private Blob upload(HashingReader reader, int partSize, Digest expected, UploadLeases.Lease lease) {
        byte[] first = new byte[partSize];
        int length = reader.readFully(first);
        if (length < partSize) return storeWhole(reader, Arrays.copyOf(first, length), expected, lease);
        return expected != null ? uploadToAddress(reader, first, expected) : uploadViaStaging(reader, first, lease);
    }

    /** The whole blob is in memory, so its digest is known before anything is written. */
    private Blob storeWhole(HashingReader reader, byte[] data, Digest expected, UploadLeases.Lease lease) {
        Blob blob = reader.finish(expected);
        if (expected == null) leases.bind(lease, blob.digest());
        leases.awaitNoCollection(blob.digest());
        if (!exists(blob.digest())) s3.put(key(blob.digest()), data);
        return blob;
    }

    /** Multipart straight to the content address, completed only once the bytes are verified. */
    private Blob uploadToAddress(HashingReader reader, byte[] first, Digest expected) {
        String key = key(expected);
        String uploadId = s3.startMultipart(key);
        try {
            List<Part> parts = uploadParts(reader, first, key, uploadId);
            Blob blob = reader.finish(expected); // a mismatch throws before anything became visible
            leases.awaitNoCollection(expected);
            if (exists(expected)) s3.abortMultipart(key, uploadId); // identical content is stored already
            else s3.completeMultipart(key, uploadId, parts);
            return blob;
        } catch (RuntimeException e) {
            s3.abortQuietly(key, uploadId, e);
            throw e;
        }
    }

    /** Multipart to the staging key {@code uploads/<lease id>}, then a server-side copy to the content address. */
    private Blob uploadViaStaging(HashingReader reader, byte[] first, UploadLeases.Lease lease) {
        String staging = lease.stagingKey();
        String uploadId = s3.startMultipart(staging);
        Blob blob;
        try {
            List<Part> parts = uploadParts(reader, first, staging, uploadId);
            blob = reader.finish(null);
            s3.completeMultipart(staging, uploadId, parts);
        } catch (RuntimeException e) {
            s3.abortQuietly(staging, uploadId, e);
            throw e;
        }
        try {
            leases.bind(lease, blob.digest());
            leases.awaitNoCollection(blob.digest());
            if (!exists(blob.digest())) s3.copy(staging, key(blob.digest()), blob.size(), options.maxCopyPart());
            return blob;
        } finally {
            try {
                s3.delete(staging);
            } catch (RuntimeException e) {
                // Harmless: garbage collection removes a staged object once its upload's lease has ended.
            }
        }
    }

    /**
     * Sends {@code first} (a full part) and every following part of the stream. The next part is read while the
     * previous one is on the wire, so two buffers alternate; a buffer is reused only after its part has been
     * acknowledged.
     */
    private List<Part> uploadParts(HashingReader reader, byte[] first, String key, String uploadId) {
        List<Part> parts = new ArrayList<>();
        byte[] sending = first;
        byte[] reading = new byte[first.length];
        int length = first.length;
        while (length > 0) {
            CompletableFuture<Part> part = s3.uploadPart(key, uploadId, parts.size() + 1, sending, length);
            int next;
            try {
                next = reader.readFully(reading);
            } catch (RuntimeException e) {
                part.handle((ok, failed) -> null).join(); // let the part land before the caller aborts the upload
                throw e;
            }
            parts.add(ObjectStore.awaitPart(part, key));
            byte[] done = sending;
            sending = reading;
            reading = done;
            length = next;
        }
        return parts;
    }

    /** Size and digest of a stored blob, or empty. */
    public Optional<Blob> stat(Digest digest) {
        return s3.stat(key(digest)).map(info -> new Blob(digest, info.size()));
    }

    public boolean exists(Digest digest) {
        return stat(digest).isPresent();
    }

    /** The whole blob. Throws {@link StorageException.NotFound} if it is not stored. */
    public InputStream open(Digest digest) {
        return s3.get(key(digest), 0, -1);
    }

    /**
     * {@code length} bytes from {@code offset} (fewer if the blob ends first); the caller closes the stream.
     * Throws {@link StorageException.NotFound} if the blob is not stored.
     */
    public InputStream open(Digest digest, long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("bad range: offset " + offset + ", length " + length);
        }
        if (length == 0) {
            if (!exists(digest)) throw new StorageException.NotFound("blob " + digest + " not found");
            return InputStream.nullInputStream();
        }
        return s3.get(key(digest), offset, length);
    }

    /** Every stored blob, in digest order, fetched page by page as the stream is consumed. */
    public Stream<Blob> list() {
        return s3.list(PREFIX).map(info -> new Blob(new Digest(info.key().substring(PREFIX.length())), info.size()));
    }

    /** Part size for a size limit: the configured size, or bigger when the limit needs more than 10,000 parts. */
    int partSizeFor(long maxBytes) {
        long needed = Math.ceilDiv(Math.ceilDiv(maxBytes, MAX_PARTS), MIB) * MIB;
        if (needed > StorageOptions.MAX_PART_SIZE) {
            throw new IllegalArgumentException("size limit " + maxBytes + " is above the largest supported blob ("
                    + MAX_PARTS * StorageOptions.MAX_PART_SIZE + " bytes)");
        }
        return (int) Math.max(options.partSize(), needed);
    }

    /** Reads the upload, counting and hashing every byte, and fails as soon as the count passes the limit. */
    private static final class HashingReader {
        private final InputStream in;
        private final long limit;
        private final MessageDigest sha256 = Digest.newSha256();
        private long count;

        HashingReader(InputStream in, long limit) {
            this.in = in;
            this.limit = limit;
        }

        /** Fills {@code buffer} unless the stream ends first; returns how many bytes were read. */
        int readFully(byte[] buffer) {
            int filled = 0;
            try {
                while (filled < buffer.length) {
                    int n = in.read(buffer, filled, buffer.length - filled);
                    if (n < 0) break;
                    if (count + n > limit) throw new StorageException.TooLarge(limit);
                    sha256.update(buffer, filled, n);
                    count += n;
                    filled += n;
                }
            } catch (IOException e) {
                throw new StorageException("reading the upload failed after " + count + " bytes: " + e, e);
            }
            return filled;
        }

        Blob finish(Digest expected) {
            Digest actual = Digest.of(sha256);
            if (expected != null && !expected.equals(actual)) {
                throw new StorageException.DigestMismatch(expected, actual);
            }
            return new Blob(actual, count);
        }
    }
}
