package io.quanthub.hub;

import io.quanthub.hub.api.HubJob;
import io.quanthub.storage.RepoName;
import java.util.List;
import java.util.Optional;

/**
 * Where the job routes find jobs of one kind ({@code GET /api/jobs/{id}}, {@code /api/jobs/{id}/events},
 * {@code GET /api/jobs}). Conversions are one directory ({@link Conversions}); another kind plugs in by implementing
 * this and being added to {@link Jobs}. The routes check visibility ({@link HubJob#repo()}) and add the API links.
 *
 * <p>Both methods may block (storage, cluster maps): the routes call them from worker threads. The event stream
 * polls {@link #find} a few times a second while a client watches, so it should be cheap.
 */
public interface JobDirectory {
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
}
