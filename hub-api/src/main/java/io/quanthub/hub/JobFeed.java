package io.quanthub.hub;

import io.quanthub.hub.api.HubJob;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Pushes job changes to the event streams of this hub process that watch them ({@link JobEvents}): one change
 * listener on the cluster for the whole process ({@link JobDirectory#onChange}, registered when the hub starts, for
 * as long as its cluster member lives), fanned out to the watchers of each job. Nothing polls: a job nobody watches
 * here costs one map lookup per change, and a watcher costs nothing while its job does not change.
 *
 * <p>Each change of a watched job is made into its {@link HubJob} once, however many watch it, on a worker thread (a
 * conversion may look up its download link in storage), then handed to every watcher on the watcher's own context.
 * The changes of one job are made one after another in the order the cluster reports them, so a watcher never sees a
 * job go back; a change that arrives while the previous one is being made replaces any change still waiting, so a
 * watcher may miss intermediate states, never the last.
 */
final class JobFeed {
    /** A watcher's registration: closing it (idempotent) stops the changes. */
    interface Watch extends AutoCloseable {
        @Override
        void close();
    }

    private record Watcher(Context context, Handler<AsyncResult<HubJob>> handler) {}

    private final Vertx vertx;
    /** The watched jobs by id; a job leaves when its last watcher does. */
    private final ConcurrentMap<String, Topic> topics = new ConcurrentHashMap<>();

    JobFeed(Vertx vertx) {
        this.vertx = vertx;
    }

    /** Takes a change from a directory, on a cluster event thread: never blocks. */
    void changed(JobDirectory.Change change) {
        Topic topic = topics.get(change.id());
        if (topic != null) topic.changed(change);
    }

    /**
     * Starts telling {@code handler} about each change of job {@code id}: the job after it, or why it could not be
     * made. Call on a Vert.x context (a request's event loop): the handler runs there.
     */
    Watch watch(String id, Handler<AsyncResult<HubJob>> handler) {
        Watcher watcher = new Watcher(Objects.requireNonNull(Vertx.currentContext(), "not on a Vert.x context"),
                handler);
        topics.compute(id, (key, topic) -> {
            Topic t = topic != null ? topic : new Topic();
            t.watchers.add(watcher);
            return t;
        });
        return () -> topics.computeIfPresent(id, (key, topic) -> {
            topic.watchers.remove(watcher);
            return topic.watchers.isEmpty() ? null : topic;
        });
    }

    /** How many jobs have watchers in this process. */
    int watchedJobs() {
        return topics.size();
    }

    /** The watchers of one job, and the changes of it on their way to them. */
    private final class Topic {
        final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();
        /** The newest change not yet being made; null when none waits. */
        private JobDirectory.Change waiting;
        /** Whether a change is being made now (the next one waits for it, to keep their order). */
        private boolean making;

        void changed(JobDirectory.Change change) {
            synchronized (this) {
                waiting = change;
                if (making) return;
                making = true;
            }
            makeNext();
        }

        private void makeNext() {
            JobDirectory.Change next;
            synchronized (this) {
                next = waiting;
                waiting = null;
                if (next == null) {
                    making = false;
                    return;
                }
            }
            vertx.executeBlocking(next.job(), false).onComplete(made -> {
                for (Watcher w : watchers) w.context().runOnContext(v -> w.handler().handle(made));
                makeNext();
            });
        }
    }
}
