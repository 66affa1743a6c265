package io.quanthub.cluster;

import com.hazelcast.core.HazelcastInstance;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.StorageOptions;
import io.quanthub.storage.Variant;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

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
 *
 * <h2>Parts</h2>
 * This class is the service's face; the work is done by {@link Requests} (asking for variants, showing jobs),
 * {@link Workers} (admission, claiming, running), {@link TaskSteps} (what PLAN, PART and FINISH do, failing a job),
 * {@link Recovery} (leases, members leaving, retries, stale uploads) and {@link MemberCounters}, all on the records
 * of one {@link JobStore}, which reads the cluster's maps only by key or indexed predicate: a sweep does not read
 * the finished jobs a busy cluster keeps.
 */
public final class JobService implements AutoCloseable {
    /**
     * The converter version this build produces: part of every variant key, so a converter whose output bytes
     * change must change it (variants of the old version stay valid under their own key).
     */
    public static final String CONVERTER_VERSION = "0.1.0";
    static final String JOBS = JobStore.JOBS;
    static final String TASKS = JobStore.TASKS;

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

    private final Options options;
    private final JobStore store;
    private final Requests requests;
    private final Recovery recovery;
    private final Workers workers;
    private final MemberCounters counters = new MemberCounters();

    public JobService(HazelcastInstance hz, HubStorage storage, Options options, TaskObserver observer) {
        this.options = options;
        this.store = new JobStore(hz);
        this.requests = new Requests(store, storage, options);
        TaskSteps steps = new TaskSteps(store, storage, options.partSize(), counters);
        this.recovery = new Recovery(hz, store, storage.staged(), options, steps);
        this.workers = new Workers(hz, store, options, observer, steps, recovery, counters);
    }

    /**
     * Starts this member's worker threads (until then it accepts requests but runs no tasks), after aborting the
     * staged uploads a stopped cluster left behind.
     */
    public JobService start() {
        recovery.quietly("cleaning stale uploads", recovery::cleanStaleUploads);
        workers.start();
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
        return requests.request(key, provenance, priority);
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
        return requests.find(key);
    }

    /** Queued, running and recently finished jobs (for {@link Options#keepFinished()}), newest first. */
    public List<JobView> jobs() {
        return requests.jobs();
    }

    /** Jobs by state, cluster-wide (for metrics), counted without reading the jobs' records. */
    public Map<JobView.State, Long> counts() {
        return requests.counts();
    }

    /**
     * Calls {@code listener} with the new view of every job created or changed anywhere in the cluster, on a
     * Hazelcast event thread (it must not block); closing the result stops it.
     */
    public AutoCloseable onChange(Consumer<JobView> listener) {
        return requests.onChange(listener);
    }

    /** The cluster's record of a variant's job (for tests and monitoring). */
    Optional<Job> job(Variant.Key key) {
        return Optional.ofNullable(store.job(JobId.of(key)));
    }

    // ---- this member's counters --------------------------------------------------------------------------------

    /** How many tasks of this kind this member has run (for monitoring). */
    public long tasksRun(Task.Kind kind) {
        return counters.tasksRun(kind);
    }

    /** Output bytes this member has produced and uploaded since it started. */
    public long bytesConverted() {
        return counters.bytesConverted();
    }

    /** Output bytes per second this member produced over the last 30 seconds. */
    public double throughput() {
        return counters.bytesPerSecond();
    }

    /** The most memory this member's tasks had reserved at once, and its budget (for tests and monitoring). */
    public long peakMemoryReserved() {
        return workers.budget.peak();
    }

    // ---- recovery ----------------------------------------------------------------------------------------------

    /** One round of {@link Recovery#sweep()} now (for tests; every member runs it regularly). */
    void sweep() {
        recovery.sweep();
    }

    /**
     * Aborts the staged uploads no queued or running job uses and that are older than a lease: debris of members
     * or whole clusters that stopped mid-job. Returns how many it aborted.
     */
    public int cleanStaleUploads() {
        return recovery.cleanStaleUploads();
    }

    /**
     * Stops this member's workers and hands the tasks it had claimed back to the queue, so the other members take
     * them over at once (a task still finishing here meanwhile does no harm: tasks are idempotent).
     */
    @Override
    public void close() {
        recovery.close();
        workers.close();
    }
}
