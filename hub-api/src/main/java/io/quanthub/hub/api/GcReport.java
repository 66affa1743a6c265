package io.quanthub.hub.api;

/**
 * The answer of {@code POST /api/admin/gc}: counts, and {@code reclaimedBytes} for everything freed (blobs, staged
 * objects, upload parts); {@code complete} is false when the run stopped at its time limit.
 *
 * @param grace as the hub writes durations ({@code 24h})
 */
public record GcReport(boolean dryRun, String grace, int deletedBlobs, long deletedBlobBytes, int abortedUploads,
                       int stagedObjects, int leases, long reclaimedBytes, boolean complete) {}
