package io.quanthub.cluster;

import com.hazelcast.map.EntryProcessor;
import java.io.Serializable;
import java.util.Map;

/**
 * An atomic read-modify-write of one map entry, run by Hazelcast on the entry's owner (and re-applied on its
 * backups, so {@code change} must be deterministic). This is the cluster's only way of changing jobs and tasks:
 * Community Edition has no CP locks, and an entry processor needs none.
 *
 * <p>The result tells the caller both sides of the change, so exactly one of several racing callers sees a given
 * transition (for example QUEUED to claimed-by-me).
 */
public record Transition<K, V>(Change<V> change) implements EntryProcessor<K, V, Transition.Result<V>> {
    /** The new value for the current one; return the same instance for "no change", null to remove. */
    @FunctionalInterface
    public interface Change<V> extends Serializable {
        V apply(V current);
    }

    /** The entry before and after; {@code before} is null when there was no entry (nothing is then changed). */
    public record Result<V>(V before, V after, boolean changed) implements Serializable {}

    @Override
    public Result<V> process(Map.Entry<K, V> entry) {
        V before = entry.getValue();
        if (before == null) return new Result<>(null, null, false);
        V after = change.apply(before);
        boolean changed = after != before;
        if (changed) entry.setValue(after);
        return new Result<>(before, after, changed);
    }
}
