package io.quanthub.cluster;

import com.hazelcast.collection.IQueue;
import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.IndexType;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.MapListener;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The converter cluster's records (see {@link JobService}) and every read of them. Each read asks the cluster for the
 * entries it needs by key or by an indexed predicate ({@link #declareIndexes}), never for a whole map: the jobs map keeps
 * every finished job for {@link JobService.Options#keepFinished()}, thousands on a busy cluster, and every member
 * sweeps every few seconds.
 *
 * <p>The predicates name record components ({@code status}, {@code updatedAt}, {@code owner}, {@code leaseUntil}):
 * Hazelcast reads them through the records' public accessors.
 */
final class JobStore {
    static final String JOBS = "quanthub.jobs";
    static final String TASKS = "quanthub.tasks";
    static final String USER_QUEUE = "quanthub.task-queue.user";
    static final String PREFETCH_QUEUE = "quanthub.task-queue.prefetch";

    private static final Predicate<JobId, Job> UNFINISHED =
            Predicates.in("status", JobView.State.QUEUED, JobView.State.RUNNING);
    private static final Predicate<JobId, Job> FINISHED =
            Predicates.in("status", JobView.State.DONE, JobView.State.FAILED);
    /** Queued tasks have no lease (0); a claim sets one. */
    private static final Predicate<String, Task> CLAIMED = Predicates.greaterThan("leaseUntil", 0L);

    private final HazelcastInstance hz;
    private final IMap<JobId, Job> jobs;
    private final IMap<String, Task> tasks;
    private final IQueue<String> userQueue;
    private final IQueue<String> prefetchQueue;
    private final UUID me;

    JobStore(HazelcastInstance hz) {
        this.hz = hz;
        this.me = hz.getCluster().getLocalMember().getUuid();
        declareIndexes(hz);
        this.jobs = hz.getMap(JOBS);
        this.tasks = hz.getMap(TASKS);
        this.userQueue = hz.getQueue(USER_QUEUE);
        this.prefetchQueue = hz.getQueue(PREFETCH_QUEUE);
    }

    /** Declares the indexes the reads here use ({@link ClusterIndexes}). */
    private static void declareIndexes(HazelcastInstance hz) {
        ClusterIndexes.declare(hz, JOBS, new IndexConfig(IndexType.HASH, "status"),
                new IndexConfig(IndexType.SORTED, "updatedAt"));
        ClusterIndexes.declare(hz, TASKS, new IndexConfig(IndexType.HASH, "owner"),
                new IndexConfig(IndexType.SORTED, "leaseUntil"));
    }

    /** Cluster time, epoch milliseconds: the clock of every job and lease. */
    long now() {
        return hz.getCluster().getClusterTime();
    }

    /** This member. */
    UUID me() {
        return me;
    }

    // ---- jobs --------------------------------------------------------------------------------------------------

    Job job(JobId id) {
        return jobs.get(id);
    }

    /** Adds the job unless there is one; the one there, or null when this one was added. */
    Job putIfAbsent(JobId id, Job job) {
        return jobs.putIfAbsent(id, job);
    }

    /** Replaces the job if it is still {@code expected}. */
    boolean replace(JobId id, Job expected, Job job) {
        return jobs.replace(id, expected, job);
    }

    /** Registers a listener of the jobs map that receives the values, until the result is closed. */
    AutoCloseable listen(MapListener listener) {
        UUID registration = jobs.addEntryListener(listener, true);
        return () -> jobs.removeEntryListener(registration);
    }

    /** Applies {@code change} to the job atomically on its owner (see {@link Transition}). */
    Transition.Result<Job> change(JobId id, Transition.Change<Job> change) {
        return jobs.executeOnKey(id, new Transition<>(change));
    }

    /** Jobs still queued or running. */
    Collection<Job> unfinishedJobs() {
        return jobs.values(UNFINISHED);
    }

    /** Jobs still queued or running, and those that finished at or after {@code finishedSince} (cluster time). */
    Set<Map.Entry<JobId, Job>> listedJobs(long finishedSince) {
        return jobs.entrySet(Predicates.or(UNFINISHED, Predicates.greaterEqual("updatedAt", finishedSince)));
    }

    /** How many jobs are in {@code state}: their keys are counted, their records stay where they are. */
    long count(JobView.State state) {
        return jobs.keySet(Predicates.equal("status", state)).size();
    }

    /**
     * Removes the finished jobs that last changed before {@code before}; each is checked and removed on its owner,
     * so a job asked for again meanwhile (no longer finished) stays.
     */
    void removeFinishedBefore(long before) {
        jobs.removeAll(Predicates.and(FINISHED, Predicates.lessThan("updatedAt", before)));
    }

    // ---- tasks -------------------------------------------------------------------------------------------------

    Task task(String id) {
        return tasks.get(id);
    }

    /** Applies {@code change} to the task atomically on its owner (see {@link Transition}). */
    Transition.Result<Task> change(String taskId, Transition.Change<Task> change) {
        return tasks.executeOnKey(taskId, new Transition<>(change));
    }

    void delete(String taskId) {
        tasks.delete(taskId);
    }

    /** The tasks some member has claimed: at most one per worker of the cluster. */
    Set<Map.Entry<String, Task>> claimedTasks() {
        return tasks.entrySet(CLAIMED);
    }

    /** The tasks {@code member} has claimed. */
    Set<Map.Entry<String, Task>> tasksOwnedBy(UUID member) {
        return tasks.entrySet(Predicates.equal("owner", member));
    }

    /** The tasks of a job that has {@code partsTotal} parts (0 before its plan ran), read by their keys. */
    Map<String, Task> tasksOf(JobId id, int partsTotal) {
        return tasks.getAll(taskIds(id, partsTotal));
    }

    /** Deletes every task of a job that has {@code partsTotal} parts. */
    void deleteTasksOf(JobId id, int partsTotal) {
        for (String taskId : taskIds(id, partsTotal)) tasks.delete(taskId);
    }

    private static Set<String> taskIds(JobId id, int partsTotal) {
        Set<String> ids = new HashSet<>();
        ids.add(Task.id(id, Task.Kind.PLAN, 0));
        ids.add(Task.id(id, Task.Kind.FINISH, 0));
        for (int part = 1; part <= partsTotal; part++) ids.add(Task.id(id, Task.Kind.PART, part));
        return ids;
    }

    // ---- queues ------------------------------------------------------------------------------------------------

    /** Adds the task unless it exists, and wakes a worker for it. */
    void enqueue(Task task, Priority priority) {
        if (tasks.putIfAbsent(task.id(), task) == null) queue(priority).offer(task.id());
    }

    IQueue<String> queue(Priority priority) {
        return priority == Priority.USER ? userQueue : prefetchQueue;
    }
}
