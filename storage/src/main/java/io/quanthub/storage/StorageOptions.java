package io.quanthub.storage;

import java.time.Clock;
import java.time.Duration;

/**
 * Tuning of the storage layer; {@link #defaults()} suits production.
 *
 * @param partSize    multipart part size for uploads of unknown length (S3 minimum 5 MiB); an upload holds two
 *                    parts in memory (one on the wire, one being read). Grows automatically for size limits above
 *                    10,000 parts.
 * @param maxCopyPart largest server-side copy in one request (S3 maximum 5 GiB); bigger blobs are copied in
 *                    ranges of this size.
 * @param leaseTtl    how long an upload's lease keeps its blob safe from garbage collection, counted from the
 *                    upload's start and again from its end: the commit that references the blob must come
 *                    within this time.
 * @param clock       time source for leases, commit and variant times, and garbage-collection ages.
 */
public record StorageOptions(int partSize, long maxCopyPart, Duration leaseTtl, Clock clock) {
    /** S3's smallest part (except the last). */
    public static final int MIN_PART_SIZE = 5 << 20;
    /** S3Proxy refuses signed request bodies above 128 MiB; 10,000 such parts still make 1.25 TiB blobs. */
    public static final int MAX_PART_SIZE = 128 << 20;

    public StorageOptions {
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException("part size must be 5..128 MiB: " + partSize);
        }
        if (maxCopyPart < MIN_PART_SIZE || maxCopyPart > ObjectStore.MAX_SINGLE_COPY) {
            throw new IllegalArgumentException("copy part size must be 5 MiB..5 GiB: " + maxCopyPart);
        }
        if (leaseTtl.isNegative() || leaseTtl.isZero()) throw new IllegalArgumentException("lease TTL must be > 0");
    }

    /** 8 MiB parts, 5 GiB copies, 24 hour leases, the system clock. */
    public static StorageOptions defaults() {
        return new StorageOptions(8 << 20, ObjectStore.MAX_SINGLE_COPY, Duration.ofHours(24), Clock.systemUTC());
    }

    public StorageOptions withPartSize(int size) {
        return new StorageOptions(size, maxCopyPart, leaseTtl, clock);
    }

    public StorageOptions withMaxCopyPart(long size) {
        return new StorageOptions(partSize, size, leaseTtl, clock);
    }

    public StorageOptions withLeaseTtl(Duration ttl) {
        return new StorageOptions(partSize, maxCopyPart, ttl, clock);
    }

    public StorageOptions withClock(Clock newClock) {
        return new StorageOptions(partSize, maxCopyPart, leaseTtl, newClock);
    }
}
