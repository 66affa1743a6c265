package io.quanthub.storage;

import io.minio.messages.Part;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Blobs written part by part, by several processes, in any order: the converter cluster's output path.
 *
 * <p>{@link #start} takes an upload lease (see {@link UploadLeases}) and opens an S3 multipart upload at the lease's
 * staging key {@code uploads/<lease id>}. Any process that knows the returned {@link Upload} may then send parts
 * with {@link #uploadPart}; sending a part number again replaces that part, so a part task that runs twice is
 * harmless. {@link #finish} completes the upload, hashes the staged object once, and moves it to its content
 * address in the {@link BlobStore}; {@link #abort} throws everything away. The lease keeps garbage collection
 * away from the staged bytes meanwhile, and from the finished blob until it is referenced (by a variant record).
 *
 * <p>Each open upload is also listed under {@code staged/<lease id>} with its start time ({@link #open}), so the
 * processes that own staged uploads can find and abort the ones their crashed peers left behind long before the
 * lease ends (the hub's own streaming uploads stage under {@code uploads/} too, and are not listed there).
 *
 * <p>All methods block: call them from worker or virtual threads.
 */
public final class StagedUploads {
    /** An open staged upload: the lease that protects it, the staging key, and S3's upload id. */
    public record Upload(String leaseId, String key, String uploadId) implements java.io.Serializable {}

    /** A multipart upload that was neither completed nor aborted. */
    public record Pending(String key, String uploadId) {}

    /** A staged upload that was started and not yet finished or aborted, and when it was started. */
    public record Open(Upload upload, java.time.Instant started) {}

    static final String OPEN = "staged/";

    private final ObjectStore s3;
    private final UploadLeases leases;
    private final StorageOptions options;

    StagedUploads(ObjectStore s3, UploadLeases leases, StorageOptions options) {
        this.s3 = s3;
        this.leases = leases;
        this.options = options;
    }

    /** Where the open-upload record of the upload under lease {@code leaseId} lives. */
    static String openKey(String leaseId) {
        return OPEN + leaseId;
    }

    /** Takes a lease and opens a multipart upload at its staging key. */
    public Upload start() {
        UploadLeases.Lease lease = leases.acquire(null);
        Upload upload;
        try {
            upload = new Upload(lease.id(), lease.stagingKey(), s3.startMultipart(lease.stagingKey()));
        } catch (RuntimeException e) {
            leases.release(lease);
            throw e;
        }
        try {
            s3.put(openKey(lease.id()), StoredJson.write(new Open(upload, options.clock().instant())));
        } catch (RuntimeException e) {
            abort(upload);
            throw e;
        }
        return upload;
    }

    /**
     * Sends part {@code partNumber} (from 1; every part but the last at least 5 MiB) and returns its ETag.
     * Sending the same part number again replaces the part.
     */
    public String uploadPart(Upload upload, int partNumber, byte[] data) {
        if (partNumber < 1 || partNumber > 10_000) throw new IllegalArgumentException("bad part number " + partNumber);
        return ObjectStore.awaitPart(s3.uploadPart(upload.key(), upload.uploadId(), partNumber, data, data.length),
                upload.key()).etag();
    }

    /**
     * Completes the upload from the parts' ETags (by part number, all of 1..n), hashes the result and stores it at
     * its content address. Calling it again after a crash between completion and the move is fine: an upload that
     * is no longer open but whose staged object exists with {@code expectedSize} bytes is taken as completed.
     *
     * @throws StorageException when the staged object does not have {@code expectedSize} bytes
     */
    public Blob finish(Upload upload, Map<Integer, String> etags, long expectedSize) {
        SortedMap<Integer, String> ordered = new TreeMap<>(etags);
        if (ordered.isEmpty() || ordered.firstKey() != 1 || ordered.lastKey() != ordered.size()) {
            throw new IllegalArgumentException("parts of " + upload.key() + " are not numbered 1.." + ordered.size()
                    + ": " + ordered.keySet());
        }
        List<Part> parts = new ArrayList<>(ordered.size());
        ordered.forEach((number, etag) -> parts.add(new Part(number, etag)));
        try {
            s3.completeMultipart(upload.key(), upload.uploadId(), parts);
        } catch (StorageException.NotFound e) {
            // An earlier attempt completed it; the size check below tells whether that is really so.
        }
        long size = s3.stat(upload.key()).map(ObjectStore.ObjectInfo::size).orElseThrow(() ->
                new StorageException.NotFound("staged upload " + upload.key() + " is neither open nor complete"));
        if (size != expectedSize) {
            throw new StorageException("staged upload " + upload.key() + " has " + size + " bytes, expected "
                    + expectedSize);
        }
        Blob blob = new Blob(hash(upload.key()), size);
        leases.bind(new UploadLeases.Lease(upload.leaseId(), null, null), blob.digest());
        leases.awaitNoCollection(blob.digest());
        if (s3.stat(BlobStore.key(blob.digest())).isEmpty()) {
            s3.copy(upload.key(), BlobStore.key(blob.digest()), size, options.maxCopyPart());
        }
        s3.delete(upload.key());
        s3.delete(openKey(upload.leaseId()));
        return blob;
    }

    /** Aborts the multipart upload, deletes a staged object if one was completed, and ends the lease. */
    public void abort(Upload upload) {
        try {
            s3.abortMultipart(upload.key(), upload.uploadId());
        } catch (StorageException.NotFound e) {
            // Already aborted or completed.
        }
        if (s3.stat(upload.key()).isPresent()) s3.delete(upload.key());
        s3.delete(UploadLeases.LEASES + upload.leaseId());
        s3.delete(openKey(upload.leaseId()));
    }

    /** Every staged upload started and not yet finished or aborted, by any process. */
    public List<Open> open() {
        return s3.list(OPEN).flatMap(info -> s3.get(info.key()).stream()
                .map(json -> StoredJson.read(json, Open.class, info.key()))).toList();
    }

    /** Multipart uploads under {@code prefix} (all staged uploads: {@code "uploads/"}) still open. */
    public List<Pending> pending(String prefix) {
        return s3.listMultipartUploads(prefix).stream().map(u -> new Pending(u.key(), u.uploadId())).toList();
    }

    /** Streams the object once through SHA-256. */
    private Digest hash(String key) {
        MessageDigest sha256 = Digest.newSha256();
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = s3.get(key, 0, -1)) {
            for (int n; (n = in.read(buffer)) > 0; ) sha256.update(buffer, 0, n);
        } catch (IOException e) {
            throw new StorageException("reading " + key + " back to hash it failed: " + e, e);
        }
        return Digest.of(sha256);
    }
}
