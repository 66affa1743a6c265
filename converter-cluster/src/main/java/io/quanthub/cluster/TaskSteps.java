package io.quanthub.cluster;

import io.quanthub.gguf.convert.ConversionInputs;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Digest;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.StagedUploads;
import io.quanthub.storage.StorageException;
import io.quanthub.storage.Variant;
import io.quanthub.storage.VariantQuality;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What each kind of task does to its job (see "A job's life" in {@link JobService}): PLAN lays out the output and
 * queues the parts, PART produces and uploads one part, FINISH publishes the output; and how a job fails. Every step
 * is idempotent and changes the job only through {@link Transition}s, whose lambdas capture only serializable locals
 * (they travel to the entry's owner and its backup).
 */
final class TaskSteps {
    private static final Logger LOG = Logger.getLogger(TaskSteps.class.getName());

    private final JobStore store;
    private final HubStorage storage;
    private final int partSize;
    private final MemberCounters counters;
    /** Plans of running jobs, computed once per member from the source header. */
    private final Map<JobId, OutputParts> plans = new ConcurrentHashMap<>();

    TaskSteps(JobStore store, HubStorage storage, int partSize, MemberCounters counters) {
        this.store = store;
        this.storage = storage;
        this.partSize = partSize;
        this.counters = counters;
    }

    void run(Task task) {
        Job job = store.job(task.job());
        if (job == null || job.finished()) {
            plans.remove(task.job());
            return; // a leftover of a job that ended
        }
        switch (task.kind()) {
            case PLAN -> plan(task.job(), job);
            case PART -> part(task, job);
            case FINISH -> finish(task.job(), job);
        }
    }

    /** Lays out the output, opens the upload and queues the parts; also completes a plan a dead member began. */
    private void plan(JobId id, Job job) {
        OutputParts output = outputOf(id);
        List<OutputParts.Part> parts = output.parts(partSize);
        if (job.status() == JobView.State.QUEUED) {
            StagedUploads.Upload upload = storage.staged().start();
            long size = output.fileSize();
            int count = parts.size();
            long now = store.now();
            Transition.Result<Job> started = store.change(id, current ->
                    current.status() == JobView.State.QUEUED ? current.running(upload, size, count, now) : current);
            if (!started.changed()) storage.staged().abort(upload); // a re-run of this task got there first
            job = started.after();
        }
        if (job == null || job.status() != JobView.State.RUNNING) return;
        for (OutputParts.Part p : parts) {
            if (!job.parts().containsKey(p.number())) {
                store.enqueue(Task.part(id, p.number(), p.offset(), p.length()), job.priority());
            }
        }
    }

    /** Produces, measures and uploads one part; whoever records the last part queues the finish. */
    private void part(Task task, Job job) {
        OutputParts.Produced produced = outputOf(task.job()).produce(task.offset(), task.length());
        String etag = storage.staged().uploadPart(job.upload(), task.part(), produced.bytes());
        counters.converted(task.length());
        Job.PartResult result = new Job.PartResult(etag, task.length(), produced.errors());
        int number = task.part();
        long now = store.now();
        Transition.Result<Job> recorded = store.change(task.job(), current ->
                current.status() == JobView.State.RUNNING ? current.withPart(number, result, now) : current);
        // Checked on every run, not only on the transition: a member may die between recording and queueing.
        Job after = recorded.after();
        if (after != null && after.allPartsUploaded()) store.enqueue(Task.finish(task.job()), after.priority());
    }

    /** Completes the upload, stores the blob under its digest and registers the variant with its quality. */
    private void finish(JobId id, Job job) {
        OutputParts output = outputOf(id);
        double bitsPerWeight = output.bitsPerWeight();
        // Checked before the upload completes: a NaN quality fails the job (and aborts the upload) naming the tensor.
        VariantQuality quality = QualityRecord.of(output.tensors(), job.parts().values(), bitsPerWeight,
                job.outputSize());
        Blob blob = storage.staged().finish(job.upload(), job.etags(), job.outputSize());
        Variant.Key key = id.variantKey();
        Variant.Provenance provenance = storage.variants().get(key).orElseThrow(() ->
                new StorageException.NotFound("variant record " + key + " vanished")).provenance();
        storage.variants().registerVariant(key, blob, bitsPerWeight, provenance, quality);
        String digest = blob.digest().toString();
        long now = store.now();
        store.change(id, current -> current.finished() ? current : current.done(digest, now));
        plans.remove(id);
    }

    private OutputParts outputOf(JobId id) {
        return plans.computeIfAbsent(id, k -> {
            try {
                return OutputParts.plan(storage.blobs(), new Digest(k.sourceHex()), QuantLevel.parse(k.quant()),
                        () -> textEncoderInputs(k));
            } catch (IOException e) {
                throw new UncheckedIOException("reading the header of " + k.sourceHex() + " failed: "
                        + e.getMessage(), e);
            }
        });
    }

    /**
     * A text encoder's tokenizer and config, from the commit the variant was first requested in (its provenance):
     * every member reads the same files, so every part agrees.
     */
    private ConversionInputs textEncoderInputs(JobId id) throws IOException {
        Variant.Provenance p = storage.variants().get(id.variantKey()).orElseThrow(() ->
                new StorageException.NotFound("variant record " + id.variantKey() + " vanished")).provenance();
        return SourceInputs.of(storage.blobs(), storage.repos().resolve(p.repo(), p.commit()).files(), p.path());
    }

    /**
     * Fails the job: aborts its upload and records the reason on the variant first, then marks the job FAILED, so
     * whoever sees the failed job also finds the variant failed and no upload left. Both clean-ups are idempotent,
     * so tasks failing at once may all run them.
     */
    void fail(JobId id, String reason) {
        try {
            Job before = store.job(id);
            if (before == null || before.finished()) return;
            if (before.upload() != null) storage.staged().abort(before.upload());
            storage.variants().markFailed(id.variantKey(), reason);
            long now = store.now();
            Transition.Result<Job> failed = store.change(id, current ->
                    current.finished() ? current : current.failed(reason, now));
            plans.remove(id);
            if (!failed.changed()) return;
            Job job = failed.after();
            // A plan that ran meanwhile may have opened the upload after it was read above.
            if (job.upload() != null && !job.upload().equals(before.upload())) storage.staged().abort(job.upload());
            store.deleteTasksOf(id, job.partsTotal());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "recording the failure of " + id + " failed", e);
        }
    }
}
