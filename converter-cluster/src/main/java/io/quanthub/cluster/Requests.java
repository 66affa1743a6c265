package io.quanthub.cluster;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.Variant;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The requesting side of the cluster's jobs (see "A job's life" in {@link JobService}): asking for a variant, and
 * what the hub shows of jobs (by id, listed, counted, changes as they happen).
 */
final class Requests {
    private final JobStore store;
    private final HubStorage storage;
    private final JobService.Options options;

    Requests(JobStore store, HubStorage storage, JobService.Options options) {
        this.store = store;
        this.storage = storage;
        this.options = options;
    }

    /** See {@link JobService#request(Variant.Key, Variant.Provenance, Priority)}. */
    JobView request(Variant.Key key, Variant.Provenance provenance, Priority priority) {
        if (!key.converterVersion().equals(options.converterVersion())) {
            throw new IllegalArgumentException("this cluster runs converter " + options.converterVersion()
                    + ", not " + key.converterVersion());
        }
        QuantLevel.parse(key.quant()); // a clear error for an unknown quant before anything is recorded
        JobId id = JobId.of(key);
        Job known = store.job(id);
        if (known != null && known.status() != JobView.State.QUEUED && known.status() != JobView.State.FAILED) {
            return promote(id, known, priority).view(id);
        }
        Variant variant = storage.variants().request(key, provenance);
        if (variant.status() == Variant.Status.AVAILABLE) return fromStorage(id, variant).orElseThrow();
        Job fresh = Job.queued(UUID.randomUUID().toString(), priority, store.me().toString(), store.now());
        Job job;
        if (known != null && known.status() == JobView.State.FAILED) {
            // Asked again after failing: retry once.
            job = store.replace(id, known, fresh) ? fresh : store.job(id);
        } else {
            Job existing = store.putIfAbsent(id, fresh);
            job = existing != null ? existing : fresh;
        }
        if (job == null) return request(key, provenance, priority); // removed meanwhile (expired): ask again
        // Also for an existing queued job: its creator may have died before queueing the plan.
        if (job.status() == JobView.State.QUEUED) store.enqueue(Task.plan(id), job.priority());
        return promote(id, job, priority).view(id);
    }

    /** Raises a PREFETCH job to USER when a user asks for it, moving its queued tasks to the user queue. */
    private Job promote(JobId id, Job job, Priority priority) {
        if (priority != Priority.USER || job.priority() == Priority.USER || job.finished()) return job;
        long now = store.now();
        Transition.Result<Job> promoted = store.change(id, current ->
                current.priority() == Priority.PREFETCH && !current.finished()
                        ? current.withPriority(Priority.USER, now) : current);
        if (!promoted.changed()) return promoted.after() != null ? promoted.after() : job;
        for (Map.Entry<String, Task> e : store.tasksOf(id, promoted.after().partsTotal()).entrySet()) {
            if (!e.getValue().claimed()) store.queue(Priority.USER).offer(e.getKey());
        }
        return promoted.after();
    }

    /** See {@link JobService#find(Variant.Key)}. */
    Optional<JobView> find(Variant.Key key) {
        JobId id = JobId.of(key);
        Job job = store.job(id);
        if (job != null) return Optional.of(job.view(id));
        return storage.variants().get(key).flatMap(variant -> fromStorage(id, variant));
    }

    /** Queued, running and finished jobs not yet swept, newest first. */
    List<JobView> jobs() {
        List<JobView> views = new ArrayList<>();
        long finishedSince = store.now() - options.keepFinished().toMillis();
        store.listedJobs(finishedSince).forEach(e -> views.add(e.getValue().view(e.getKey())));
        views.sort(Comparator.comparing(JobView::createdAt).reversed());
        return views;
    }

    Map<JobView.State, Long> counts() {
        Map<JobView.State, Long> counts = new EnumMap<>(JobView.State.class);
        for (JobView.State state : JobView.State.values()) counts.put(state, store.count(state));
        return counts;
    }

    AutoCloseable onChange(Consumer<JobView> listener) {
        return store.listen(new JobListener(listener));
    }

    private record JobListener(Consumer<JobView> listener)
            implements EntryAddedListener<JobId, Job>, EntryUpdatedListener<JobId, Job> {
        @Override
        public void entryAdded(EntryEvent<JobId, Job> event) {
            listener.accept(event.getValue().view(event.getKey()));
        }

        @Override
        public void entryUpdated(EntryEvent<JobId, Job> event) {
            listener.accept(event.getValue().view(event.getKey()));
        }
    }

    private static Optional<JobView> fromStorage(JobId id, Variant variant) {
        Instant at = variant.provenance().time();
        String source = "sha256:" + id.sourceHex();
        return switch (variant.status()) {
            case AVAILABLE -> Optional.of(new JobView(id.text(), source, id.quant(), id.converterVersion(),
                    JobView.State.DONE, Priority.USER, 1, variant.output().size(), variant.output().size(),
                    variant.output().digest().toString(), null, at, at));
            case FAILED -> Optional.of(new JobView(id.text(), source, id.quant(), id.converterVersion(),
                    JobView.State.FAILED, Priority.USER, 0, 0, 0, null, variant.error(), at, at));
            case PENDING -> Optional.empty();
        };
    }
}
