package io.quanthub.inference.preview;

import com.hazelcast.map.EntryProcessor;
import java.io.Serializable;
import java.util.Map;

/**
 * An atomic read-modify-write of one preview job, run by Hazelcast on the entry's owner (and re-applied on its
 * backup, so {@code change} must be deterministic: every time it needs is captured by the caller). The same pattern
 * as converter-cluster's {@code Transition}, kept here because this module does not depend on that one.
 *
 * <p>The result carries the entry after the change and whether it changed, so exactly one of several racing callers
 * sees a given transition (for example QUEUED to claimed-by-me).
 */
record JobUpdate(Change change) implements EntryProcessor<String, PreviewJob, JobUpdate.Result> {
    /** The new job for the current one; the same instance for "no change". */
    @FunctionalInterface
    interface Change extends Serializable {
        PreviewJob apply(PreviewJob current);
    }

    /** {@code after} is null when there was no entry (nothing is then changed). */
    record Result(PreviewJob after, boolean changed) implements Serializable {}

    @Override
    public Result process(Map.Entry<String, PreviewJob> entry) {
        PreviewJob before = entry.getValue();
        if (before == null) return new Result(null, false);
        PreviewJob after = change.apply(before);
        if (after == before) return new Result(before, false);
        entry.setValue(after);
        return new Result(after, true);
    }
}
