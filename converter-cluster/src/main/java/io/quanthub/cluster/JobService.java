package io.quanthub.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.collection.IQueue;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.map.IMap;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Digest;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.StagedUploads;
import io.quanthub.storage.StorageException;
import io.quanthub.storage.StorageOptions;
import io.quanthub.storage.Variant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Conversion jobs on the cluster, one instance per member: accepts requests and runs tasks.
 *
 * <h2>Records</h2>
 * <ul>
 *   <li>{@code quanthub.jobs}: {@link JobId} to {@link Job}, the authoritative state of each conversion.</li>
 *   <li>{@code quanthub.tasks}: task id to {@link Task}, the work still to do, each queued or claimed by a member.</li>
 *   <li>{@code quanthub.task-queue}: ids of queued tasks, only to wake workers; a lost or duplicate id is harmless,
 *       because a worker acts only after claiming the task in the tasks map.</li>
 * </ul>
 *
 * <h2>A job's life</h2>
 * A request creates the job with {@code putIfAbsent}, so the same variant requested anywhere, any number of times,
 * is one job; the creating member queues its PLAN task. PLAN reads the source's header by range, computes the plan
 * and the exact layout of the output, opens a staged multipart upload and creates one PART task per part. Any
 * member runs a PART task: it encodes exactly that part's bytes, uploads the part and records the ETag in the job.
 * Whoever records the last ETag queues FINISH, which completes the upload, hashes it, moves it to its content
 * address and registers the variant. A task that throws fails the job: the upload is aborted and the variant
 * marked failed with the reason.
 *
 * <h2>Members leaving</h2>
 * When a member leaves (or dies), every member puts the tasks it had claimed back in the queue; the entry processor
 * lets exactly one of them do so. Each task is idempotent (a part uploaded again replaces itself with the same
 * bytes), so work a dead member had half done is simply done again.
 */
public final class JobService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JobService.class.getName());
    static final String JOBS = "quanthub.jobs";
    static final String TASKS = "quanthub.tasks";
    static final String QUEUE = "quanthub.task-queue";

    /**
     * @param converterVersion the converter version this cluster produces; requests for others are refused
     * @param partSize         bytes per output part (S3's minimum of 5 MiB for all parts but the last)
     * @param workers          task threads on this member
     */
    public record Options(String converterVersion, int partSize, int workers) {
        public Options {
            if (partSize < StorageOptions.MIN_PART_SIZE || partSize > StorageOptions.MAX_PART_SIZE) {
                throw new IllegalArgumentException("part size must be 5..128 MiB: " + partSize);
            }
            if (workers < 1) throw new IllegalArgumentException("workers must be at least 1, not " + workers);
        }
    }

    /** Told about each task this member claimed, just before running it (for progress logs and tests). */
    @FunctionalInterface
    public interface TaskObserver {
        TaskObserver NONE = task -> {
        };

        void claimed(Task task) throws InterruptedException;
    }

    private final HazelcastInstance hz;
    private final HubStorage storage;
    private final Options options;
    private final TaskObserver observer;
    private final IMap<JobId, Job> jobs;
    private final IMap<String, Task> tasks;
    private final IQueue<String> queue;
    private final UUID me;
    private final UUID membershipRegistration;
    private final ExecutorService workers;
    private final ExecutorService housekeeping = Executors.newSingleThreadExecutor(Thread.ofPlatform()
            .name("quanthub-cluster-membership").daemon().factory());
    /** Plans of running jobs, computed once per member from the source header. */
    private final Map<JobId, OutputParts> plans = new ConcurrentHashMap<>();
    private final Map<Task.Kind, AtomicLong> tasksRun = new EnumMap<>(Task.Kind.class);
    private volatile boolean closed;

    public JobService(HazelcastInstance hz, HubStorage storage, Options options, TaskObserver observer) {
        this.hz = hz;
        this.storage = storage;
        this.options = options;
        this.observer = observer;
        this.jobs = hz.getMap(JOBS);
        this.tasks = hz.getMap(TASKS);
        this.queue = hz.getQueue(QUEUE);
        this.me = hz.getCluster().getLocalMember().getUuid();
        for (Task.Kind kind : Task.Kind.values()) tasksRun.put(kind, new AtomicLong());
        this.membershipRegistration = hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                // Not on the event thread: requeueing reads the whole tasks map.
                housekeeping.execute(() -> requeueTasksOf(event.getMember()));
            }
        });
        this.workers = Executors.newFixedThreadPool(options.workers(), Thread.ofPlatform()
                .name("quanthub-cluster-worker-", 0).daemon().factory());
    }

    /** Starts this member's worker threads; until then it accepts requests but runs no tasks. */
    public JobService start() {
        for (int i = 0; i < options.workers(); i++) workers.execute(this::workLoop);
        return this;
    }

    // ---- requests ----------------------------------------------------------------------------------------------

    /**
     * Asks for the variant {@code key}: its source is the blob {@code key.source()}. Idempotent: every request for
     * the same key, from any member, returns the same job. A variant that is already available answers DONE at
     * once without a job. The variant record is created PENDING with {@code provenance} if it does not exist.
     */
    public Job request(Variant.Key key, Variant.Provenance provenance) {
        if (!key.converterVersion().equals(options.converterVersion())) {
            throw new IllegalArgumentException("this cluster runs converter " + options.converterVersion()
                    + ", not " + key.converterVersion());
        }
        QuantLevel.parse(key.quant()); // a clear error for an unknown quant before anything is recorded
        JobId id = JobId.of(key);
        Job known = jobs.get(id);
        if (known != null && known.status() != Job.Status.QUEUED) return known;
        Variant variant = storage.variants().request(key, provenance);
        if (variant.status() == Variant.Status.AVAILABLE) return Job.alreadyDone(variant.output().digest().toString());
        Job fresh = Job.queued(UUID.randomUUID().toString(), me.toString());
        Job existing = jobs.putIfAbsent(id, fresh);
        Job job = existing != null ? existing : fresh;
        // Also for an existing queued job: its creator may have died before queueing the plan.
        if (job.status() == Job.Status.QUEUED) enqueue(Task.plan(id));
        return job;
    }

    /** The job of a variant, if the cluster has one. */
    public Optional<Job> job(Variant.Key key) {
        return Optional.ofNullable(jobs.get(JobId.of(key)));
    }

    /** How many tasks of this kind this member has run (for monitoring). */
    public long tasksRun(Task.Kind kind) {
        return tasksRun.get(kind).get();
    }

    /** Adds the task unless it exists, and wakes a worker for it. */
    private void enqueue(Task task) {
        if (tasks.putIfAbsent(task.id(), task) == null) queue.offer(task.id());
    }

    // ---- workers -----------------------------------------------------------------------------------------------

    private void workLoop() {
        while (!closed) {
            String taskId;
            try {
                taskId = queue.poll(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException | HazelcastInstanceNotActiveException e) {
                return;
            }
            if (taskId == null) continue;
            Task task = claim(taskId);
            if (task == null) continue; // done already, or another member has it
            try {
                observer.claimed(task);
                run(task);
                tasksRun.get(task.kind()).incrementAndGet();
                tasks.delete(taskId);
            } catch (InterruptedException | HazelcastInstanceNotActiveException e) {
                return; // this member is stopping; the others take the task over when it has left
            } catch (RuntimeException | Error e) {
                if (closed || !hz.getLifecycleService().isRunning()) return;
                LOG.log(Level.WARNING, task + " failed", e);
                fail(task.job(), task + " failed: " + oneLine(e));
            }
        }
    }

    /**
     * Claims a queued task for this member; null if it is gone or claimed. (Like every {@link Transition} here, the
     * lambda captures only serializable locals: it travels to the entry's owner and its backup.)
     */
    private Task claim(String taskId) {
        UUID self = me;
        try {
            Transition.Result<Task> claim = tasks.executeOnKey(taskId,
                    new Transition<>(task -> task.claimed() ? task : task.claimedBy(self)));
            return claim.changed() ? claim.after() : null;
        } catch (HazelcastInstanceNotActiveException e) {
            closed = true;
            return null;
        }
    }

    private void run(Task task) {
        Job job = jobs.get(task.job());
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
        List<OutputParts.Part> parts = output.parts(options.partSize());
        if (job.status() == Job.Status.QUEUED) {
            StagedUploads.Upload upload = storage.staged().start();
            long size = output.fileSize();
            int count = parts.size();
            Transition.Result<Job> started = jobs.executeOnKey(id, new Transition<>(current ->
                    current.status() == Job.Status.QUEUED ? current.running(upload, size, count) : current));
            if (!started.changed()) storage.staged().abort(upload); // a re-run of this task got there first
            job = started.after();
        }
        if (job.status() != Job.Status.RUNNING) return;
        for (OutputParts.Part p : parts) {
            if (!job.etags().containsKey(p.number())) enqueue(Task.part(id, p.number(), p.offset(), p.length()));
        }
    }

    /** Produces and uploads one part; whoever records the last part queues the finish. */
    private void part(Task task, Job job) {
        byte[] bytes = outputOf(task.job()).produce(task.offset(), task.length());
        String etag = storage.staged().uploadPart(job.upload(), task.part(), bytes);
        int number = task.part();
        Transition.Result<Job> recorded = jobs.executeOnKey(task.job(), new Transition<>(current ->
                current.status() == Job.Status.RUNNING ? current.withPart(number, etag) : current));
        // Checked on every run, not only on the transition: a member may die between recording and queueing.
        if (recorded.after() != null && recorded.after().allPartsUploaded()) enqueue(Task.finish(task.job()));
    }

    /** Completes the upload, stores the blob under its digest and registers the variant. */
    private void finish(JobId id, Job job) {
        OutputParts output = outputOf(id);
        Blob blob = storage.staged().finish(job.upload(), job.etags(), job.outputSize());
        Variant.Key key = id.variantKey();
        Variant.Provenance provenance = storage.variants().get(key).orElseThrow(() ->
                new StorageException.NotFound("variant record " + key + " vanished")).provenance();
        storage.variants().registerVariant(key, blob, output.bitsPerWeight(), provenance);
        String digest = blob.digest().toString();
        jobs.executeOnKey(id, new Transition<>(current -> current.finished() ? current : current.done(digest)));
        plans.remove(id);
    }

    private OutputParts outputOf(JobId id) {
        return plans.computeIfAbsent(id, k -> {
            try {
                return OutputParts.plan(storage.blobs(), new Digest(k.sourceHex()), QuantLevel.parse(k.quant()));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("reading the header of " + k.sourceHex() + " failed: "
                        + e.getMessage(), e);
            }
        });
    }

    /**
     * Fails the job: aborts its upload and records the reason on the variant first, then marks the job FAILED, so
     * whoever sees the failed job also finds the variant failed and no upload left. Both clean-ups are idempotent,
     * so tasks failing at once may all run them.
     */
    private void fail(JobId id, String reason) {
        try {
            Job before = jobs.get(id);
            if (before == null || before.finished()) return;
            if (before.upload() != null) storage.staged().abort(before.upload());
            storage.variants().markFailed(id.variantKey(), reason);
            Transition.Result<Job> failed = jobs.executeOnKey(id, new Transition<>(current ->
                    current.finished() ? current : current.failed(reason)));
            plans.remove(id);
            if (!failed.changed()) return;
            Job job = failed.after();
            // A plan that ran meanwhile may have opened the upload after it was read above.
            if (job.upload() != null && !job.upload().equals(before.upload())) storage.staged().abort(job.upload());
            tasks.delete(Task.id(id, Task.Kind.PLAN, 0));
            tasks.delete(Task.id(id, Task.Kind.FINISH, 0));
            for (int part = 1; part <= job.partsTotal(); part++) tasks.delete(Task.id(id, Task.Kind.PART, part));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "recording the failure of " + id + " failed", e);
        }
    }

    // ---- members leaving ---------------------------------------------------------------------------------------

    /** Puts the tasks a departed member had claimed back in the queue. */
    private void requeueTasksOf(Member gone) {
        try {
            UUID dead = gone.getUuid();
            List<String> ids = new ArrayList<>();
            for (Map.Entry<String, Task> e : tasks.entrySet()) {
                if (dead.equals(e.getValue().owner())) ids.add(e.getKey());
            }
            for (String id : ids) {
                Transition.Result<Task> released = tasks.executeOnKey(id, new Transition<>(task ->
                        dead.equals(task.owner()) ? task.released() : task));
                if (released.changed()) queue.offer(id);
            }
        } catch (HazelcastInstanceNotActiveException e) {
            // This member is stopping too.
        }
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        return message.replaceAll("\\s*\\R\\s*", " ");
    }

    /** Stops this member's workers (a task in progress is abandoned; the cluster reruns it if needed). */
    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
        housekeeping.shutdownNow();
        try {
            if (hz.getLifecycleService().isRunning()) hz.getCluster().removeMembershipListener(membershipRegistration);
        } catch (HazelcastInstanceNotActiveException ignored) {
            // Already stopped.
        }
    }
}
