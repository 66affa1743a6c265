package io.quanthub.cluster;

import io.quanthub.gguf.convert.QuantError;
import io.quanthub.storage.StagedUploads;
import java.io.Serializable;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The cluster's record of one conversion, stored in the jobs map under its {@link JobId}. It changes only through
 * entry processors ({@link Transition}), so every change is atomic on the entry's owner. Times are cluster time in
 * epoch milliseconds, passed in by the caller (a transition is re-applied on backups and must be deterministic).
 *
 * @param runId      random id of this run of the job, the same for every request while it lives
 * @param status     where it stands
 * @param priority   the highest priority it was requested with
 * @param createdBy  the member that created the job
 * @param createdAt  when it was created
 * @param updatedAt  when it last changed
 * @param upload     the staged multipart upload of the output; null while queued
 * @param outputSize bytes of the output file; 0 while queued
 * @param partsTotal multipart parts of the output; 0 while queued
 * @param parts      every part uploaded so far, by part number
 * @param output     the output blob's digest ({@code sha256:...}); only when done
 * @param reason     why it failed; only when failed
 */
public record Job(String runId, JobView.State status, Priority priority, String createdBy, long createdAt,
                  long updatedAt, StagedUploads.Upload upload, long outputSize, int partsTotal,
                  Map<Integer, PartResult> parts, String output, String reason) implements Serializable {
    /**
     * An uploaded part: its ETag, its length, and the quantization error of the rows that start in it, by tensor
     * index, so the finishing member adds up each tensor's error exactly.
     */
    public record PartResult(String etag, int length, SortedMap<Integer, QuantError> errors) implements Serializable {
        public PartResult {
            errors = new TreeMap<>(errors);
        }
    }

    public Job {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(priority, "priority");
        parts = new TreeMap<>(parts);
    }

    static Job queued(String runId, Priority priority, String createdBy, long now) {
        return new Job(runId, JobView.State.QUEUED, priority, createdBy, now, now, null, 0, 0, Map.of(), null, null);
    }

    public boolean allPartsUploaded() {
        return status == JobView.State.RUNNING && partsTotal > 0 && parts.size() == partsTotal;
    }

    public boolean finished() {
        return status == JobView.State.DONE || status == JobView.State.FAILED;
    }

    /** Output bytes uploaded so far. */
    public long bytesDone() {
        return parts.values().stream().mapToLong(PartResult::length).sum();
    }

    /** The ETags by part number, to complete the upload. */
    Map<Integer, String> etags() {
        Map<Integer, String> etags = new TreeMap<>();
        parts.forEach((number, part) -> etags.put(number, part.etag()));
        return etags;
    }

    Job running(StagedUploads.Upload newUpload, long size, int count, long now) {
        return new Job(runId, JobView.State.RUNNING, priority, createdBy, createdAt, now, newUpload, size, count,
                parts, null, null);
    }

    Job withPart(int partNumber, PartResult part, long now) {
        Map<Integer, PartResult> more = new TreeMap<>(parts);
        more.put(partNumber, part);
        return new Job(runId, status, priority, createdBy, createdAt, now, upload, outputSize, partsTotal, more,
                null, null);
    }

    Job withPriority(Priority higher, long now) {
        return new Job(runId, status, higher, createdBy, createdAt, now, upload, outputSize, partsTotal, parts,
                output, reason);
    }

    Job done(String outputDigest, long now) {
        return new Job(runId, JobView.State.DONE, priority, createdBy, createdAt, now, upload, outputSize, partsTotal,
                parts, outputDigest, null);
    }

    Job failed(String why, long now) {
        return new Job(runId, JobView.State.FAILED, priority, createdBy, createdAt, now, upload, outputSize,
                partsTotal, parts, null, why);
    }

    /** The hub's view of this job. */
    JobView view(JobId id) {
        long done = status == JobView.State.DONE ? outputSize : bytesDone();
        double progress = status == JobView.State.DONE ? 1 : outputSize == 0 ? 0 : (double) done / outputSize;
        return new JobView(id.text(), "sha256:" + id.sourceHex(), id.quant(), id.converterVersion(), status,
                priority, progress, done, outputSize, output, reason, Instant.ofEpochMilli(createdAt),
                Instant.ofEpochMilli(updatedAt));
    }

    @Override
    public String toString() {
        return switch (status) {
            case QUEUED -> "QUEUED";
            case RUNNING -> "RUNNING " + parts.size() + "/" + partsTotal + " parts";
            case DONE -> "DONE " + output;
            case FAILED -> "FAILED: " + reason;
        };
    }
}
