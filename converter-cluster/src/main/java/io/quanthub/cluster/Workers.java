package io.quanthub.cluster;

import com.hazelcast.collection.IQueue;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import io.quanthub.gguf.convert.ConversionException;
import io.quanthub.gguf.format.GgufFormatException;
import io.quanthub.gguf.safetensors.SafetensorsFormatException;
import io.quanthub.storage.StorageException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This member's worker threads (see "Admission" in {@link JobService}): each takes the next queued task id, user
 * tasks first, reserves the task's memory estimate, claims the task for one lease and runs it ({@link TaskSteps}).
 * An error in the input fails the job at once; any other error hands the task to {@link Recovery#retry}.
 */
final class Workers implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Workers.class.getName());
    /** How long an idle worker waits on the user queue before looking at the prefetch queue again. */
    private static final long POLL_MILLIS = 250;

    private final HazelcastInstance hz;
    private final JobStore store;
    private final JobService.Options options;
    private final JobService.TaskObserver observer;
    private final TaskSteps steps;
    private final Recovery recovery;
    private final MemberCounters counters;
    final MemoryBudget budget;
    private final ExecutorService threads;
    private volatile boolean closed;

    Workers(HazelcastInstance hz, JobStore store, JobService.Options options, JobService.TaskObserver observer,
            TaskSteps steps, Recovery recovery, MemberCounters counters) {
        this.hz = hz;
        this.store = store;
        this.options = options;
        this.observer = observer;
        this.steps = steps;
        this.recovery = recovery;
        this.counters = counters;
        this.budget = new MemoryBudget(options.memoryBudget());
        this.threads = Executors.newFixedThreadPool(options.workers(), Thread.ofPlatform()
                .name("quanthub-cluster-worker-", 0).daemon().factory());
    }

    void start() {
        for (int i = 0; i < options.workers(); i++) threads.execute(this::workLoop);
    }

    private record Polled(String taskId, IQueue<String> from) {}

    /** The next queued task id, user tasks first; null when both queues stayed empty for a while. */
    private Polled poll() throws InterruptedException {
        IQueue<String> user = store.queue(Priority.USER);
        IQueue<String> prefetch = store.queue(Priority.PREFETCH);
        String id = user.poll();
        if (id != null) return new Polled(id, user);
        id = prefetch.poll();
        if (id != null) return new Polled(id, prefetch);
        id = user.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        return id == null ? null : new Polled(id, user);
    }

    private void workLoop() {
        while (!closed) {
            Polled polled;
            Task queued;
            try {
                polled = poll();
                if (polled == null) continue;
                queued = store.task(polled.taskId());
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
            steps.run(task);
            counters.ran(task);
            store.delete(taskId);
            return true;
        } catch (InterruptedException | HazelcastInstanceNotActiveException e) {
            return false; // this member is stopping; the others take the task over when it has left
        } catch (RuntimeException | Error e) {
            if (closed || !hz.getLifecycleService().isRunning()) return false;
            String reason = task + " failed: " + FailureReason.of(e);
            if (isInputError(e)) {
                steps.fail(task.job(), reason);
            } else {
                LOG.log(Level.WARNING, reason + " (attempt " + (task.attempts() + 1) + ")", e);
                recovery.retry(taskId, reason);
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

    /** Claims a queued task for this member for one lease; null if it is gone or claimed. */
    private Task claim(String taskId) {
        UUID self = store.me();
        long until = store.now() + options.lease().toMillis();
        try {
            Transition.Result<Task> claim = store.change(taskId, task ->
                    task.claimed() ? task : task.claimedBy(self, until));
            return claim.changed() ? claim.after() : null;
        } catch (HazelcastInstanceNotActiveException e) {
            closed = true;
            return null;
        }
    }

    /**
     * Stops the workers and hands the tasks this member had claimed back to the queue, so the other members take
     * them over at once (a task still finishing here meanwhile does no harm: tasks are idempotent).
     */
    @Override
    public void close() {
        closed = true;
        threads.shutdownNow();
        try {
            if (!hz.getLifecycleService().isRunning()) return;
            UUID self = store.me();
            for (Map.Entry<String, Task> e : store.tasksOwnedBy(self)) {
                Transition.Result<Task> back = store.change(e.getKey(), task ->
                        self.equals(task.owner()) ? task.handedBack() : task);
                Job job = back.changed() ? store.job(back.after().job()) : null;
                if (job != null && !job.finished()) store.queue(job.priority()).offer(e.getKey());
            }
        } catch (IllegalStateException ignored) { // HazelcastInstanceNotActiveException among others
            // Already stopped: the others requeue this member's tasks when they see it leave.
        }
    }
}
