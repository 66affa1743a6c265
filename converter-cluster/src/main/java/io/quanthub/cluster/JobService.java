package io.quanthub.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.collection.IQueue;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.quanthub.gguf.convert.ConversionException;
import io.quanthub.gguf.convert.ConversionInputs;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.format.GgufFormatException;
import io.quanthub.gguf.safetensors.SafetensorsFormatException;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Digest;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.StagedUploads;
import io.quanthub.storage.StorageException;
import io.quanthub.storage.StorageOptions;
import io.quanthub.storage.Variant;
import io.quanthub.storage.VariantQuality;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Conversion jobs on the cluster, one instance per member: accepts requests and runs tasks.
 *
 * <h2>Records</h2>
 * <ul>
 *   <li>{@code quanthub.jobs}: {@link JobId} to {@link Job}, the authoritative state of each conversion.</li>
 *   <li>{@code quanthub.tasks}: task id to {@link Task}, the work still to do, each queued or claimed by a member.</li>
 *   <li>{@code quanthub.task-queue.user} and {@code .prefetch}: ids of queued tasks, only to wake workers, which
 *       empty the user queue first; a lost or duplicate id is harmless, because a worker acts only after claiming
 *       the task in the tasks map.</li>
 * </ul>
 *
 * <h2>A job's life</h2>
 * A request creates the job with {@code putIfAbsent}, so the same variant requested anywhere, any number of times,
 * is one job; the creating member queues its PLAN task. PLAN reads the source's header by range, computes the plan
 * and the exact layout of the output, opens a staged multipart upload and creates one PART task per part. Any
 * member runs a PART task: it encodes exactly that part's bytes, measures the quantization error of its rows,
 * uploads the part and records the ETag and the error sums in the job. Whoever records the last part queues
 * FINISH, which completes the upload, hashes it, moves it to its content address, and registers the variant with
 * its quality record (each tensor's error added up over the parts).
 *
 * <h2>Admission</h2>
 * A worker claims a task only when the task's memory estimate ({@link Task#memoryEstimate()}: a PART needs its
 * part plus a few MiB of encoding buffers) fits in what is left of this member's {@link Options#memoryBudget()}.
 *
 * <h2>Failures</h2>
 * A claim is a lease of {@link Options#lease()}: every member regularly puts back in the queue every task
 * whose claimer has left the cluster or whose lease has expired (a member that is hung or cut off), and every
 * member does so at once when it sees another leave. A task that throws a transient error is also put back. Each
 * task is idempotent (a part uploaded again replaces itself with the same bytes), so work a member had half done
 * is simply done again. After {@link Options#maxAttempts()} attempts, or at once for an error in the input (a
 * malformed or unconvertible model), the job fails: its upload is aborted and the variant marked failed with the
 * reason. Staged uploads that no live job uses (left by a cluster that stopped mid-job) are aborted once they are
 * older than a lease, at start and regularly.
 */
public final class JobService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JobService.class.getName());
    /**
     * The converter version this build produces: part of every variant key, so a converter whose output bytes
     * change must change it (variants of the old version stay valid under their own key).
     */
    public static final String CONVERTER_VERSION = "0.1.0";
    static final String JOBS = "quanthub.jobs";
    static final String TASKS = "quanthub.tasks";
    static final String USER_QUEUE = "quanthub.task-queue.user";
    static final String PREFETCH_QUEUE = "quanthub.task-queue.prefetch";
    /** How long an idle worker waits on the user queue before looking at the prefetch queue again. */
    private static final long POLL_MILLIS = 250;

    /**
     * @param converterVersion the converter version this cluster produces; requests for others are refused
     * @param partSize         bytes per output part (S3's minimum of 5 MiB for all parts but the last)
     * @param workers          task threads on this member
     * @param memoryBudget     heap bytes this member's running tasks may use at once (at least one part's task)
     * @param lease            how long a claim lasts: a task still running after it is run again elsewhere
     * @param maxAttempts      attempts of a task before its job fails
     * @param keepFinished     how long finished jobs stay listed in {@link #jobs()}
     */
    public record Options(String converterVersion, int partSize, int workers, long memoryBudget, Duration lease,
                          int maxAttempts, Duration keepFinished) {
        public Options {
            if (partSize < StorageOptions.MIN_PART_SIZE || partSize > StorageOptions.MAX_PART_SIZE) {
                throw new IllegalArgumentException("part size must be 5..128 MiB: " + partSize);
            }
            if (workers < 1) throw new IllegalArgumentException("workers must be at least 1, not " + workers);
            long needed = Math.max(partSize + Task.PART_OVERHEAD, Task.PLAN_MEMORY);
            if (memoryBudget < needed) {
                throw new IllegalArgumentException("a memory budget of " + memoryBudget + " bytes cannot run one task"
                        + " of " + partSize + "-byte parts; it needs at least " + needed);
            }
            if (lease.isNegative() || lease.isZero()) throw new IllegalArgumentException("lease must be > 0: " + lease);
            if (maxAttempts < 1) throw new IllegalArgumentException("max attempts must be >= 1: " + maxAttempts);
            if (keepFinished.isNegative()) throw new IllegalArgumentException("negative keepFinished " + keepFinished);
        }

        /**
         * 8 MiB parts, one worker per core (at most 4), half the heap as memory budget, 5 minute leases, 3 attempts,
         * finished jobs listed for an hour.
         */
        public static Options defaults(String converterVersion) {
            int partSize = 8 << 20;
            long heapHalf = Runtime.getRuntime().maxMemory() / 2;
            return new Options(converterVersion, partSize,
                    Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 4),
                    Math.max(heapHalf, partSize + Task.PART_OVERHEAD), Duration.ofMinutes(5), 3, Duration.ofHours(1));
        }

        public Options withPartSize(int size) {
            return new Options(converterVersion, size, workers, Math.max(memoryBudget, size + Task.PART_OVERHEAD),
                    lease, maxAttempts, keepFinished);
        }

        public Options withWorkers(int count) {
            return new Options(converterVersion, partSize, count, memoryBudget, lease, maxAttempts, keepFinished);
        }

        public Options withMemoryBudget(long bytes) {
            return new Options(converterVersion, partSize, workers, bytes, lease, maxAttempts, keepFinished);
        }

        public Options withLease(Duration duration) {
            return new Options(converterVersion, partSize, workers, memoryBudget, duration, maxAttempts, keepFinished);
        }

        public Options withMaxAttempts(int attempts) {
            return new Options(converterVersion, partSize, workers, memoryBudget, lease, attempts, keepFinished);
        }

        /** How often members look for expired leases: often enough that a lease ends at most ~25% late. */
        Duration sweepInterval() {
            return Duration.ofMillis(Math.clamp(lease.toMillis() / 4, 100, 5_000));
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
    private final IQueue<String> userQueue;
    private final IQueue<String> prefetchQueue;
    private final UUID me;
    private final UUID membershipRegistration;
    private final ExecutorService workers;
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("quanthub-cluster-housekeeping").daemon().factory());
    private final MemoryBudget budget;
    /** Plans of running jobs, computed once per member from the source header. */
    private final Map<JobId, OutputParts> plans = new ConcurrentHashMap<>();
    private final Map<Task.Kind, AtomicLong> tasksRun = new EnumMap<>(Task.Kind.class);
    private final AtomicLong bytesConverted = new AtomicLong();
    private final Throughput throughput = new Throughput();
    private volatile boolean closed;

    public JobService(HazelcastInstance hz, HubStorage storage, Options options, TaskObserver observer) {
        this.hz = hz;
        this.storage = storage;
        this.options = options;
        this.observer = observer;
        this.jobs = hz.getMap(JOBS);
        this.tasks = hz.getMap(TASKS);
        this.userQueue = hz.getQueue(USER_QUEUE);
        this.prefetchQueue = hz.getQueue(PREFETCH_QUEUE);
        this.me = hz.getCluster().getLocalMember().getUuid();
        this.budget = new MemoryBudget(options.memoryBudget());
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
        long sweep = options.sweepInterval().toMillis();
        housekeeping.scheduleWithFixedDelay(() -> quietly("sweeping leases", this::sweep), sweep, sweep,
                TimeUnit.MILLISECONDS);
        long cleanup = Math.max(options.lease().toMillis(), 60_000);
        housekeeping.scheduleWithFixedDelay(() -> quietly("cleaning stale uploads", this::cleanStaleUploads),
                cleanup, cleanup, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts this member's worker threads (until then it accepts requests but runs no tasks), after aborting the
     * staged uploads a stopped cluster left behind.
     */
    public JobService start() {
        quietly("cleaning stale uploads", this::cleanStaleUploads);
        for (int i = 0; i < options.workers(); i++) workers.execute(this::workLoop);
        return this;
    }

    public String converterVersion() {
        return options.converterVersion();
    }

    /** The job id of a variant (see {@link JobId#text()}): the same on every member, for every request. */
    public static String jobId(Variant.Key key) {
        return JobId.of(key).text();
    }

    // ---- requests ----------------------------------------------------------------------------------------------

    /** {@link #request(Variant.Key, Variant.Provenance, Priority)} for a user who waits for it. */
    public JobView request(Variant.Key key, Variant.Provenance provenance) {
        return request(key, provenance, Priority.USER);
    }

    /**
     * Asks for the variant {@code key}: its source is the blob {@code key.source()}. Idempotent: every request for
     * the same key, from any member, returns the same job (a USER request promotes a PREFETCH job). A variant that
     * is already available answers DONE at once without a job; a failed job is started again. The variant record
     * is created PENDING with {@code provenance} if it does not exist.
     *
     * @throws IllegalArgumentException for another converter version or an unknown quant type
     */
    public JobView request(Variant.Key key, Variant.Provenance provenance, Priority priority) {
        if (!key.converterVersion().equals(options.converterVersion())) {
            throw new IllegalArgumentException("this cluster runs converter " + options.converterVersion()
                    + ", not " + key.converterVersion());
        }
        QuantLevel.parse(key.quant()); // a clear error for an unknown quant before anything is recorded
        JobId id = JobId.of(key);
        Job known = jobs.get(id);
        if (known != null && known.status() != JobView.State.QUEUED && known.status() != JobView.State.FAILED) {
            return promote(id, known, priority).view(id);
        }
        Variant variant = storage.variants().request(key, provenance);
        if (variant.status() == Variant.Status.AVAILABLE) return fromStorage(id, variant).orElseThrow();
        Job fresh = Job.queued(UUID.randomUUID().toString(), priority, me.toString(), now());
        Job job;
        if (known != null && known.status() == JobView.State.FAILED) {
            job = jobs.replace(id, known, fresh) ? fresh : jobs.get(id); // asked again after failing: retry once
        } else {
            Job existing = jobs.putIfAbsent(id, fresh);
            job = existing != null ? existing : fresh;
        }
        if (job == null) return request(key, provenance, priority); // removed meanwhile (expired): ask again
        // Also for an existing queued job: its creator may have died before queueing the plan.
        if (job.status() == JobView.State.QUEUED) enqueue(Task.plan(id), job.priority());
        return promote(id, job, priority).view(id);
    }

    /** The job with this id, or what storage knows of the variant when the cluster has no job for it. */
    public Optional<JobView> find(String jobId) {
        return JobId.parse(jobId).flatMap(id -> find(id.variantKey()));
    }

    /**
     * The job of a variant; when the cluster has none, the variant record answers: an available variant as DONE,
     * a failed one as FAILED, a pending one (or none) as empty.
     */
    public Optional<JobView> find(Variant.Key key) {
        JobId id = JobId.of(key);
        Job job = jobs.get(id);
        if (job != null) return Optional.of(job.view(id));
        return storage.variants().get(key).flatMap(variant -> fromStorage(id, variant));
    }

    /** Queued, running and recently finished jobs, newest first. */
    public List<JobView> jobs() {
        List<JobView> views = new ArrayList<>();
        jobs.forEach((id, job) -> views.add(job.view(id)));
        views.sort(Comparator.comparing(JobView::createdAt).reversed());
        return views;
    }

    /** Jobs by state, cluster-wide (for metrics). */
    public Map<JobView.State, Long> counts() {
        Map<JobView.State, Long> counts = new EnumMap<>(JobView.State.class);
        for (JobView.State state : JobView.State.values()) counts.put(state, 0L);
        for (Job job : jobs.values()) counts.merge(job.status(), 1L, Long::sum);
        return counts;
    }

    /**
     * Calls {@code listener} with the new view of every job created or changed anywhere in the cluster, on a
     * Hazelcast event thread (it must not block); closing the result stops it.
     */
    public AutoCloseable onChange(Consumer<JobView> listener) {
        UUID registration = jobs.addEntryListener(new JobListener(listener), true);
        return () -> jobs.removeEntryListener(registration);
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

    /** The cluster's record of a variant's job (for tests and monitoring). */
    Optional<Job> job(Variant.Key key) {
        return Optional.ofNullable(jobs.get(JobId.of(key)));
    }

    /** How many tasks of this kind this member has run (for monitoring). */
    public long tasksRun(Task.Kind kind) {
        return tasksRun.get(kind).get();
    }

    /** Output bytes this member has produced and uploaded since it started. */
    public long bytesConverted() {
        return bytesConverted.get();
    }

    /** Output bytes per second this member produced over the last 30 seconds. */
    public double throughput() {
        return throughput.bytesPerSecond();
    }

    /** The most memory this member's tasks had reserved at once, and its budget (for tests and monitoring). */
    public long peakMemoryReserved() {
        return budget.peak();
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

    /** Raises a PREFETCH job to USER when a user asks for it, moving its queued tasks to the user queue. */
    private Job promote(JobId id, Job job, Priority priority) {
        if (priority != Priority.USER || job.priority() == Priority.USER || job.finished()) return job;
        long now = now();
        Transition.Result<Job> promoted = jobs.executeOnKey(id, new Transition<>(current ->
                current.priority() == Priority.PREFETCH && !current.finished()
                        ? current.withPriority(Priority.USER, now) : current));
        if (!promoted.changed()) return promoted.after() != null ? promoted.after() : job;
        String prefix = id.text() + "/";
        for (Map.Entry<String, Task> e : tasks.entrySet()) {
            if (e.getKey().startsWith(prefix) && !e.getValue().claimed()) userQueue.offer(e.getKey());
        }
        return promoted.after();
    }

    /** Adds the task unless it exists, and wakes a worker for it. */
    private void enqueue(Task task, Priority priority) {
        if (tasks.putIfAbsent(task.id(), task) == null) queue(priority).offer(task.id());
    }

    private IQueue<String> queue(Priority priority) {
        return priority == Priority.USER ? userQueue : prefetchQueue;
    }

    // ---- workers -----------------------------------------------------------------------------------------------

    private record Polled(String taskId, IQueue<String> from) {}

    /** The next queued task id, user tasks first; null when both queues stayed empty for a while. */
    private Polled poll() throws InterruptedException {
        String id = userQueue.poll();
        if (id != null) return new Polled(id, userQueue);
        id = prefetchQueue.poll();
        if (id != null) return new Polled(id, prefetchQueue);
        id = userQueue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        return id == null ? null : new Polled(id, userQueue);
    }

    private void workLoop() {
        while (!closed) {
            Polled polled;
            Task queued;
            try {
                polled = poll();
                if (polled == null) continue;
                queued = tasks.get(polled.taskId());
                if (queued == null || queued.claimed()) continue; // done already, or another member has it
                if (!budget.tryReserve(queued.memoryEstimate())) {
                    // Does not fit beside what this member runs now: leave it to another member or a later try.
                    polled.from().offer(polled.taskId());
                    budget.awaitRelease(POLL_MILLIS);
                    continue;
                }
            } catch (InterruptedException | HazelcastInstanceNotActiveException e) {
                return;
            }
            try {
                if (!runClaimed(polled.taskId())) return;
            } finally {
                budget.release(queued.memoryEstimate());
            }
        }
    }

    /** Claims and runs one task; false when this member is stopping. */
    private boolean runClaimed(String taskId) {
        Task task = claim(taskId);
        if (task == null) return !closed; // another member claimed it first
        try {
            observer.claimed(task);
            run(task);
            tasksRun.get(task.kind()).incrementAndGet();
            tasks.delete(taskId);
            return true;
        } catch (InterruptedException | HazelcastInstanceNotActiveException e) {
            return false; // this member is stopping; the others take the task over when it has left
        } catch (RuntimeException | Error e) {
            if (closed || !hz.getLifecycleService().isRunning()) return false;
            String reason = task + " failed: " + oneLine(e);
            if (isInputError(e)) {
                fail(task.job(), reason);
            } else {
                LOG.log(Level.WARNING, reason + " (attempt " + (task.attempts() + 1) + ")", e);
                retry(taskId, reason);
            }
            return true;
        }
    }

    /** Errors that running the task again cannot fix: the source is malformed or cannot be converted. */
    private static boolean isInputError(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof ConversionException
                || e instanceof UnsupportedOperationException || e instanceof StorageException.NotFound
                || (e instanceof UncheckedIOException u && (u.getCause() instanceof GgufFormatException
                        || u.getCause() instanceof SafetensorsFormatException));
    }

    /**
     * Claims a queued task for this member for one lease; null if it is gone or claimed. (Like every
     * {@link Transition} here, the lambda captures only serializable locals: it travels to the entry's owner and its
     * backup.)
     */
    private Task claim(String taskId) {
        UUID self = me;
        long until = now() + options.lease().toMillis();
        try {
            Transition.Result<Task> claim = tasks.executeOnKey(taskId,
                    new Transition<>(task -> task.claimed() ? task : task.claimedBy(self, until)));
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
        if (job.status() == JobView.State.QUEUED) {
            StagedUploads.Upload upload = storage.staged().start();
            long size = output.fileSize();
            int count = parts.size();
            long now = now();
            Transition.Result<Job> started = jobs.executeOnKey(id, new Transition<>(current ->
                    current.status() == JobView.State.QUEUED ? current.running(upload, size, count, now) : current));
            if (!started.changed()) storage.staged().abort(upload); // a re-run of this task got there first
            job = started.after();
        }
        if (job == null || job.status() != JobView.State.RUNNING) return;
        for (OutputParts.Part p : parts) {
            if (!job.parts().containsKey(p.number())) {
                enqueue(Task.part(id, p.number(), p.offset(), p.length()), job.priority());
            }
        }
    }

    /** Produces, measures and uploads one part; whoever records the last part queues the finish. */
    private void part(Task task, Job job) {
        OutputParts.Produced produced = outputOf(task.job()).produce(task.offset(), task.length());
        String etag = storage.staged().uploadPart(job.upload(), task.part(), produced.bytes());
        bytesConverted.addAndGet(task.length());
        throughput.record(task.length());
        Job.PartResult result = new Job.PartResult(etag, task.length(), produced.errors());
        int number = task.part();
        long now = now();
        Transition.Result<Job> recorded = jobs.executeOnKey(task.job(), new Transition<>(current ->
                current.status() == JobView.State.RUNNING ? current.withPart(number, result, now) : current));
        // Checked on every run, not only on the transition: a member may die between recording and queueing.
        Job after = recorded.after();
        if (after != null && after.allPartsUploaded()) enqueue(Task.finish(task.job()), after.priority());
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
        long now = now();
        jobs.executeOnKey(id, new Transition<>(current -> current.finished() ? current : current.done(digest, now)));
        plans.remove(id);
    }

    private OutputParts outputOf(JobId id) {
        return plans.computeIfAbsent(id, k -> {
            try {
                return OutputParts.plan(storage.blobs(), new Digest(k.sourceHex()), QuantLevel.parse(k.quant()),
                        () -> textEncoderInputs(k));
            } catch (java.io.IOException e) {
                throw new UncheckedIOException("reading the header of " + k.sourceHex() + " failed: "
                        + e.getMessage(), e);
            }
        });
    }

    /**
     * A text encoder's tokenizer and config, from the commit the variant was first requested in (its provenance):
     * every member reads the same files, so every part agrees.
     */
    private ConversionInputs textEncoderInputs(JobId id) throws java.io.IOException {
        Variant.Provenance p = storage.variants().get(id.variantKey()).orElseThrow(() ->
                new StorageException.NotFound("variant record " + id.variantKey() + " vanished")).provenance();
        return SourceInputs.of(storage.blobs(), storage.repos().resolve(p.repo(), p.commit()).files(), p.path());
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
            long now = now();
            Transition.Result<Job> failed = jobs.executeOnKey(id, new Transition<>(current ->
                    current.finished() ? current : current.failed(reason, now)));
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

    // ---- retries, leases, members leaving ----------------------------------------------------------------------

    /** Puts a task this member failed with a transient error back in the queue (or fails the job, if it is due). */
    private void retry(String taskId, String reason) {
        UUID self = me;
        Transition.Result<Task> released = tasks.executeOnKey(taskId, new Transition<>(task ->
                self.equals(task.owner()) ? task.released(reason) : task));
        if (released.changed()) requeueOrFail(taskId, released.after());
    }

    /**
     * Puts back a task whose claim ended without it being done, unless another claim replaced that one meanwhile
     * ({@code seen} is the claim that ended).
     */
    private void abandon(String taskId, Task seen, String reason) {
        UUID owner = seen.owner();
        long leaseUntil = seen.leaseUntil();
        Transition.Result<Task> released = tasks.executeOnKey(taskId, new Transition<>(task ->
                owner.equals(task.owner()) && task.leaseUntil() == leaseUntil ? task.released(reason) : task));
        if (released.changed()) requeueOrFail(taskId, released.after());
    }

    private void requeueOrFail(String taskId, Task released) {
        if (released.attempts() >= options.maxAttempts()) {
            fail(released.job(), released + " failed " + released.attempts() + " times; last: "
                    + released.lastError());
            return;
        }
        Job job = jobs.get(released.job());
        if (job == null || job.finished()) {
            tasks.delete(taskId);
            return;
        }
        queue(job.priority()).offer(taskId);
    }

    /** Puts the tasks a departed member had claimed back in the queue. */
    private void requeueTasksOf(Member gone) {
        try {
            UUID dead = gone.getUuid();
            for (Map.Entry<String, Task> e : tasks.entrySet()) {
                if (dead.equals(e.getValue().owner())) {
                    abandon(e.getKey(), e.getValue(), "member " + gone.getAddress() + " left the cluster");
                }
            }
        } catch (HazelcastInstanceNotActiveException e) {
            // This member is stopping too.
        }
    }

    /**
     * Every member's regular round: tasks whose claimer is gone or whose lease expired go back to the queue, and
     * finished jobs older than {@link Options#keepFinished()} are dropped from the jobs map (the variant record in
     * storage keeps the outcome). Every member with a job service does it (not only the oldest member, which may
     * be a member without one, such as an inference node): each change is an atomic transition on one claim or
     * one job, so when several members see the same expired claim, exactly one puts it back.
     */
    private void sweep() {
        long now = now();
        Set<UUID> members = hz.getCluster().getMembers().stream().map(Member::getUuid).collect(Collectors.toSet());
        for (Map.Entry<String, Task> e : tasks.entrySet()) {
            Task task = e.getValue();
            if (!task.claimed()) continue;
            if (!members.contains(task.owner())) {
                abandon(e.getKey(), task, "member " + task.owner() + " left the cluster");
            } else if (task.leaseUntil() < now) {
                abandon(e.getKey(), task, "its lease of " + options.lease().toSeconds() + " s expired on member "
                        + task.owner());
            }
        }
        long expired = now - options.keepFinished().toMillis();
        for (Map.Entry<JobId, Job> e : jobs.entrySet()) {
            if (e.getValue().finished() && e.getValue().updatedAt() < expired) jobs.remove(e.getKey(), e.getValue());
        }
    }

    /**
     * Aborts the staged uploads no queued or running job uses and that are older than a lease: debris of members
     * or whole clusters that stopped mid-job. Returns how many it aborted.
     */
    public int cleanStaleUploads() {
        Set<String> inUse = new HashSet<>();
        for (Job job : jobs.values()) {
            if (!job.finished() && job.upload() != null) inUse.add(job.upload().leaseId());
        }
        Instant staleBefore = Instant.ofEpochMilli(now()).minus(options.lease());
        int aborted = 0;
        for (StagedUploads.Open open : storage.staged().open()) {
            if (inUse.contains(open.upload().leaseId()) || !open.started().isBefore(staleBefore)) continue;
            storage.staged().abort(open.upload());
            aborted++;
        }
        if (aborted > 0) LOG.info("aborted " + aborted + " stale staged upload(s)");
        return aborted;
    }

    private long now() {
        return hz.getCluster().getClusterTime();
    }

    private void quietly(String what, Runnable action) {
        try {
            if (!closed) action.run();
        } catch (HazelcastInstanceNotActiveException e) {
            // Stopping.
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, what + " failed", e);
        }
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        return message.replaceAll("\\s*\\R\\s*", " ");
    }

    /**
     * Stops this member's workers and hands the tasks it had claimed back to the queue, so the other members take
     * them over at once (a task still finishing here meanwhile does no harm: tasks are idempotent).
     */
    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
        housekeeping.shutdownNow();
        try {
            if (!hz.getLifecycleService().isRunning()) return;
            hz.getCluster().removeMembershipListener(membershipRegistration);
            UUID self = me;
            for (Map.Entry<String, Task> e : tasks.entrySet()) {
                if (!self.equals(e.getValue().owner())) continue;
                Transition.Result<Task> back = tasks.executeOnKey(e.getKey(), new Transition<>(task ->
                        self.equals(task.owner()) ? task.handedBack() : task));
                Job job = back.changed() ? jobs.get(back.after().job()) : null;
                if (job != null && !job.finished()) queue(job.priority()).offer(e.getKey());
            }
        } catch (IllegalStateException ignored) { // HazelcastInstanceNotActiveException among others
            // Already stopped: the others requeue this member's tasks when they see it leave.
        }
    }
}
