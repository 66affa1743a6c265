package io.quanthub.cluster;

import io.quanthub.storage.Digest;
import io.quanthub.storage.Variant;
import java.time.Instant;
import java.util.Objects;

/**
 * What the hub shows of one conversion job: a snapshot, the same from every member.
 *
 * @param id               the job's id, the same for every request of the variant (see {@link JobId#text()});
 *                         {@link JobService#find(String)} resolves it on any member
 * @param sourceDigest     the source blob, {@code sha256:<hex>}
 * @param quant            the quant type, e.g. {@code Q4_K_S}
 * @param converterVersion the converter version that produces it
 * @param state            where it stands
 * @param priority         the highest priority it was requested with
 * @param progress         0..1: output bytes uploaded over output bytes (1 when done, 0 while queued)
 * @param bytesDone        output bytes uploaded so far
 * @param bytesTotal       bytes of the output file; 0 until planned
 * @param outputDigest     the output blob ({@code sha256:<hex>}) when done, else null
 * @param reason           why it failed, else null
 * @param createdAt        when the job was created (for a variant answered from storage: when it was asked)
 * @param updatedAt        when its record last changed
 */
public record JobView(String id, String sourceDigest, String quant, String converterVersion, State state,
                      Priority priority, double progress, long bytesDone, long bytesTotal, String outputDigest,
                      String reason, Instant createdAt, Instant updatedAt) {
    public enum State { QUEUED, RUNNING, DONE, FAILED }

    public JobView {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(priority, "priority");
    }

    /** The variant this job produces. */
    public Variant.Key variantKey() {
        return new Variant.Key(Digest.parse(sourceDigest), quant, converterVersion);
    }

    public boolean finished() {
        return state == State.DONE || state == State.FAILED;
    }
}
