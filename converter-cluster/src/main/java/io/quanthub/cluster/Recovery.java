package io.quanthub.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import io.quanthub.storage.StagedUploads;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Failures of members and tasks (see "Failures" in {@link JobService}): claims of members that left or whose lease
 * expired go back to the queue, failed attempts are retried until the job fails, finished jobs are dropped after
 * {@link JobService.Options#keepFinished()}, and staged uploads no live job uses are aborted. Its rounds run on one
 * housekeeping thread of this member, from construction until {@link #close()}.
 */
final class Recovery implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Recovery.class.getName());

    private final HazelcastInstance hz;
    private final JobStore store;
    private final StagedUploads staged;
    private final JobService.Options options;
    private final TaskSteps steps;
    private final UUID membershipRegistration;
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("quanthub-cluster-housekeeping").daemon().factory());
    private volatile boolean closed;

    Recovery(HazelcastInstance hz, JobStore store, StagedUploads staged, JobService.Options options, TaskSteps steps) {
        this.hz = hz;
        this.store = store;
        this.staged = staged;
        this.options = options;
        this.steps = steps;
        this.membershipRegistration = hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                // Not on the event thread: requeueing queries the cluster.
                housekeeping.execute(() -> requeueTasksOf(event.getMember()));
            }
        });
        long sweep = options.sweepInterval().toMillis();
        housekeeping.scheduleWithFixedDelay(() -> quietly("sweeping leases", this::sweep), sweep, sweep,
                TimeUnit.MILLISECONDS);
        long cleanup = Math.max(options.lease().toMillis(), 60_000);
        housekeeping.scheduleWithFixedDelay(() -> quietly("cleaning stale uploads", this::cleanStaleUploads),
                cleanup, cleanup, TimeUnit.MILLISECONDS);
    }

    /** Puts a task this member failed with a transient error back in the queue (or fails the job, if it is due). */
    void retry(String taskId, String reason) {
        UUID self = store.me();
        Transition.Result<Task> released = store.change(taskId, task ->
                self.equals(task.owner()) ? task.released(reason) : task);
        if (released.changed()) requeueOrFail(taskId, released.after());
    }

    /**
     * Puts back a task whose claim ended without it being done, unless another claim replaced that one meanwhile
     * ({@code seen} is the claim that ended).
     */
    private void abandon(String taskId, Task seen, String reason) {
        UUID owner = seen.owner();
        long leaseUntil = seen.leaseUntil();
        Transition.Result<Task> released = store.change(taskId, task ->
                owner.equals(task.owner()) && task.leaseUntil() == leaseUntil ? task.released(reason) : task);
        if (released.changed()) requeueOrFail(taskId, released.after());
    }

    private void requeueOrFail(String taskId, Task released) {
        if (released.attempts() >= options.maxAttempts()) {
            steps.fail(released.job(), released + " failed " + released.attempts() + " times; last: "
                    + released.lastError());
            return;
        }
        Job job = store.job(released.job());
        if (job == null || job.finished()) {
            store.delete(taskId);
            return;
        }
        store.queue(job.priority()).offer(taskId);
    }

    /** Puts the tasks a departed member had claimed back in the queue. */
    private void requeueTasksOf(Member gone) {
        try {
            for (Map.Entry<String, Task> e : store.tasksOwnedBy(gone.getUuid())) {
                abandon(e.getKey(), e.getValue(), "member " + gone.getAddress() + " left the cluster");
            }
        } catch (HazelcastInstanceNotActiveException e) {
            // This member is stopping too.
        }
    }

    /**
     * Every member's regular round: tasks whose claimer is gone or whose lease expired go back to the queue, and
     * finished jobs older than {@link JobService.Options#keepFinished()} are dropped from the jobs map (the variant
     * record in storage keeps the outcome). Every member with a job service does it (not only the oldest member,
     * which may be a member without one, such as an inference node): each change is an atomic transition on one
     * claim or one job, so when several members see the same expired claim, exactly one puts it back. It reads only
     * the claimed tasks; the finished jobs are removed where they are.
     */
    void sweep() {
        long now = store.now();
        Set<UUID> members = hz.getCluster().getMembers().stream().map(Member::getUuid).collect(Collectors.toSet());
        for (Map.Entry<String, Task> e : store.claimedTasks()) {
            Task task = e.getValue();
            if (!members.contains(task.owner())) {
                abandon(e.getKey(), task, "member " + task.owner() + " left the cluster");
            } else if (task.leaseUntil() < now) {
                abandon(e.getKey(), task, "its lease of " + options.lease().toSeconds() + " s expired on member "
                        + task.owner());
            }
        }
        store.removeFinishedBefore(now - options.keepFinished().toMillis());
    }

    /**
     * Aborts the staged uploads no queued or running job uses and that are older than a lease: debris of members
     * or whole clusters that stopped mid-job. Returns how many it aborted.
     */
    int cleanStaleUploads() {
        Set<String> inUse = new HashSet<>();
        for (Job job : store.unfinishedJobs()) {
            if (job.upload() != null) inUse.add(job.upload().leaseId());
        }
        Instant staleBefore = Instant.ofEpochMilli(store.now()).minus(options.lease());
        int aborted = 0;
        for (StagedUploads.Open open : staged.open()) {
            if (inUse.contains(open.upload().leaseId()) || !open.started().isBefore(staleBefore)) continue;
            staged.abort(open.upload());
            aborted++;
        }
        if (aborted > 0) LOG.info("aborted " + aborted + " stale staged upload(s)");
        return aborted;
    }

    /** Runs a round, logging what fails instead of stopping the schedule. */
    void quietly(String what, Runnable action) {
        try {
            if (!closed) action.run();
        } catch (HazelcastInstanceNotActiveException e) {
            // Stopping.
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, what + " failed", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        housekeeping.shutdownNow();
        try {
            if (hz.getLifecycleService().isRunning()) hz.getCluster().removeMembershipListener(membershipRegistration);
        } catch (IllegalStateException ignored) { // HazelcastInstanceNotActiveException among others
            // Already stopped.
        }
    }
}
