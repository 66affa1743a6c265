package io.quanthub.cluster;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** What this member has done since it started, for metrics and tests: tasks run by kind, output bytes produced. */
final class MemberCounters {
    private final Map<Task.Kind, AtomicLong> tasksRun = new EnumMap<>(Task.Kind.class);
    private final AtomicLong bytesConverted = new AtomicLong();
    private final Throughput throughput = new Throughput();

    MemberCounters() {
        for (Task.Kind kind : Task.Kind.values()) tasksRun.put(kind, new AtomicLong());
    }

    void ran(Task task) {
        tasksRun.get(task.kind()).incrementAndGet();
    }

    void converted(long bytes) {
        bytesConverted.addAndGet(bytes);
        throughput.record(bytes);
    }

    long tasksRun(Task.Kind kind) {
        return tasksRun.get(kind).get();
    }

    long bytesConverted() {
        return bytesConverted.get();
    }

    double bytesPerSecond() {
        return throughput.bytesPerSecond();
    }
}
