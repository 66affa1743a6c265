package io.quanthub.hub;

import io.quanthub.hub.api.HubJob;
import io.quanthub.storage.RepoName;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * Where the job routes find jobs of one kind ({@code GET /api/jobs/{id}}, {@code /api/jobs/{id}/events},
 * {@code GET /api/jobs}). Conversions are one directory ({@link Conversions}); another kind plugs in by implementing
 * this and being added to {@link Jobs}. The routes check visibility ({@link HubJob#repo()}) and add the API links.
 *
 * <p>The lookups may block (storage, cluster maps): the routes call them from worker threads. Event streams read a
 * job once, then follow its changes as {@link #onChange} pushes them ({@link JobFeed}).
 */
public interface JobDirectory {
    /**
     * A job of this directory changed (or was created).
     *
     * @param id  the job's id
     * @param job the job after the change, as the routes show it; may block (the directory may look up what it shows
     *            in storage), so it is called only for jobs someone watches, on a worker thread
     */
    record Change(String id, Callable<HubJob> job) {}

    /** The job with this id, if it is one of this directory's. Finished jobs stay findable as long as practical. */
    Optional<HubJob> find(String id);

    /** Queued and running jobs, and those that finished recently (how recently is the directory's choice). */
    List<HubJob> list();

    /**
     * Repositories other than {@link HubJob#repo()} that asked for the job with this id: whoever may see one of them
     * may follow the job, without learning its repository. None, unless the kind shares jobs between repositories.
     */
    default List<RepoName> alsoAskedBy(String id) {
        return List.of();
    }

    /**
     * Tells {@code listener} of every change of this directory's jobs, anywhere in the cluster, as it happens, until
     * the result is closed. The listener is called on a cluster event thread, one change after another for each job,
     * and must not block. Registering blocks.
     */
    AutoCloseable onChange(Consumer<Change> listener);
}
