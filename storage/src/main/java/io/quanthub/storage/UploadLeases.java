package io.quanthub.storage;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The handshake that keeps garbage collection away from uploads in flight.
 *
 * <p>S3 has no transactions, so an upload and a collection run coordinate through marker objects, each side
 * writing its own marker before it reads the other's (the classic two-flag handshake; S3 is strongly consistent,
 * so of two such write-then-read sequences at least one sees the other's marker):
 * <ul>
 *   <li>An upload holds a <b>lease</b>, {@code leases/<id>}, from its first byte until {@code leaseTtl} after its
 *       last. It names the digest once that is known; its staged bytes live at {@code uploads/<id>}. After writing
 *       the digest into the lease, the upload checks for collection intents on that digest and waits while there
 *       are any; only then does it look whether the blob already exists.</li>
 *   <li>A collection run first writes an <b>intent</b>, {@code gc/intents/<hex>/<run>}, for every blob it wants
 *       to delete, then reads all leases, and deletes only blobs that no live lease names. It removes its intents
 *       when done.</li>
 * </ul>
 * If the collector's lease read missed the lease, the lease was written after that read, so the upload's intent
 * check comes later still and sees the intent: it waits for the deletion to finish and then stores the blob
 * again. Either way the blob exists when the upload returns, and stays while the lease lives; the commit that
 * references it must be written within the lease time (the commit itself then protects the blob).
 */
final class UploadLeases {
    static final String LEASES = "leases/";
    static final String STAGING = "uploads/";
    static final String INTENTS = "gc/intents/";

    /** How long an upload waits for a collection run that is deleting the same digest. */
    private static final Duration COLLECTION_WAIT = Duration.ofMinutes(2);
    private static final long POLL_MILLIS = 100;

    /** A lease as stored; {@code digest} is null while the upload is still streaming with an unknown digest. */
    record Lease(String id, Digest digest, Instant expires) {
        String key() {
            return LEASES + id;
        }

        /** Where the upload stages its bytes while the digest is unknown. */
        String stagingKey() {
            return STAGING + id;
        }
    }

    /** A collection run's declared intent to delete one blob. */
    record Intent(String runId, Instant started) {}

    private final ObjectStore s3;
    private final StorageOptions options;

    UploadLeases(ObjectStore s3, StorageOptions options) {
        this.s3 = s3;
        this.options = options;
    }

    /** Takes a new lease, naming {@code digest} when the caller already knows it (else null). */
    Lease acquire(Digest digest) {
        Lease lease = new Lease(UUID.randomUUID().toString(), digest, expiryFromNow());
        s3.put(lease.key(), StoredJson.write(lease));
        return lease;
    }

    /** Names the digest in the lease and renews it: the blob is protected for {@code leaseTtl} from now. */
    Lease bind(Lease lease, Digest digest) {
        Lease bound = new Lease(lease.id(), digest, expiryFromNow());
        s3.put(bound.key(), StoredJson.write(bound));
        return bound;
    }

    void release(Lease lease) {
        s3.delete(lease.key());
    }

    /** Every lease, live or expired, for the collector. */
    List<Lease> all() {
        return s3.list(LEASES).flatMap(info -> s3.get(info.key()).stream()
                .map(json -> StoredJson.read(json, Lease.class, info.key()))).toList();
    }

    boolean isLive(Lease lease, Instant now) {
        return lease.expires().isAfter(now);
    }

    /** The upload's side of the handshake: returns once no collection run intends to delete {@code digest}. */
    void awaitNoCollection(Digest digest) {
        long deadline = System.nanoTime() + COLLECTION_WAIT.toNanos();
        while (collectionInProgress(digest)) {
            if (System.nanoTime() > deadline) {
                throw new StorageException("blob " + digest + " is still being garbage-collected after "
                        + COLLECTION_WAIT.toMinutes() + " minutes; retry the upload");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("interrupted while waiting for garbage collection of " + digest, e);
            }
        }
    }

    /** True while a run that has not crashed intends to delete {@code digest}. */
    private boolean collectionInProgress(Digest digest) {
        Instant staleBefore = options.clock().instant().minus(GarbageCollector.STALE_INTENT);
        return s3.list(INTENTS + digest.hex() + "/").anyMatch(info -> s3.get(info.key())
                .map(json -> StoredJson.read(json, Intent.class, info.key()).started().isAfter(staleBefore))
                .orElse(false));
    }

    // ---- the collector's side --------------------------------------------------------------------------------------

    static String intentKey(Digest digest, String runId) {
        return INTENTS + digest.hex() + "/" + runId;
    }

    void declareIntent(Digest digest, String runId, Instant started) {
        s3.put(intentKey(digest, runId), StoredJson.write(new Intent(runId, started)));
    }

    void withdrawIntent(Digest digest, String runId) {
        s3.delete(intentKey(digest, runId));
    }

    private Instant expiryFromNow() {
        return options.clock().instant().plus(options.leaseTtl());
    }
}
