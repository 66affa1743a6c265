package io.quanthub.cluster;

import io.quanthub.storage.StagedUploads;
import java.io.Serializable;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The cluster's record of one conversion, stored in the jobs map under its {@link JobId}. It changes only through
 * entry processors ({@link Transition}), so every change is atomic on the entry's owner.
 *
 * @param runId       random id of this job, the same for every request of the variant
 * @param status      where it stands
 * @param createdBy   the member that created the job (its coordinator)
 * @param upload      the staged multipart upload of the output; null while queued
 * @param outputSize  bytes of the output file; 0 while queued
 * @param partsTotal  multipart parts of the output; 0 while queued
 * @param etags       the ETag of every part uploaded so far, by part number
 * @param output      the output blob's digest ({@code sha256:...}); only when done
 * @param reason      why it failed; only when failed
 */
public record Job(String runId, Status status, String createdBy, StagedUploads.Upload upload, long outputSize,
                  int partsTotal, Map<Integer, String> etags, String output, String reason) implements Serializable {
    public enum Status { QUEUED, RUNNING, DONE, FAILED }

    public Job {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(status, "status");
        etags = new TreeMap<>(etags);
    }

    static Job queued(String runId, String createdBy) {
        return new Job(runId, Status.QUEUED, createdBy, null, 0, 0, Map.of(), null, null);
    }

    /** A variant that was already available when requested: done without running. */
    static Job alreadyDone(String output) {
        return new Job("available", Status.DONE, null, null, 0, 0, Map.of(), output, null);
    }

    public int partsDone() {
        return etags.size();
    }

    public boolean allPartsUploaded() {
        return status == Status.RUNNING && partsTotal > 0 && etags.size() == partsTotal;
    }

    public boolean finished() {
        return status == Status.DONE || status == Status.FAILED;
    }

    Job running(StagedUploads.Upload newUpload, long size, int parts) {
        return new Job(runId, Status.RUNNING, createdBy, newUpload, size, parts, etags, null, null);
    }

    Job withPart(int partNumber, String etag) {
        Map<Integer, String> more = new TreeMap<>(etags);
        more.put(partNumber, etag);
        return new Job(runId, status, createdBy, upload, outputSize, partsTotal, more, null, null);
    }

    Job done(String outputDigest) {
        return new Job(runId, Status.DONE, createdBy, upload, outputSize, partsTotal, etags, outputDigest, null);
    }

    Job failed(String why) {
        return new Job(runId, Status.FAILED, createdBy, upload, outputSize, partsTotal, etags, null, why);
    }

    @Override
    public String toString() {
        return switch (status) {
            case QUEUED -> "QUEUED";
            case RUNNING -> "RUNNING " + partsDone() + "/" + partsTotal + " parts";
            case DONE -> "DONE " + output;
            case FAILED -> "FAILED: " + reason;
        };
    }
}
