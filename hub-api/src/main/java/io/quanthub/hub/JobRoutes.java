package io.quanthub.hub;

import io.quanthub.hub.api.HubJob;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Jobs of every kind ({@link Jobs}): {@code GET /api/jobs} (queued, running and recently finished), {@code GET
 * /api/jobs/{id}} and {@code GET /api/jobs/{id}/events}, a Server-Sent Events stream of the job until it ends
 * ({@link JobEvents}, pushed by the hub's {@link JobFeed}).
 *
 * <p>Lists show only the jobs of repositories the caller may see. By id, a conversion is also shown to a caller who
 * may see another repository that asked for it, but without its repository, commit and links
 * ({@link HubJob#redacted}): a conversion is shared by every repository holding the same source file, and someone
 * who asked for it through a public repository must be able to follow it even when a private one asked first.
 * Anyone else gets 404 ({@link Hub#shown}).
 */
final class JobRoutes {
    /** The job when its stream starts, and whether the watcher sees it whole or {@linkplain HubJob#redacted redacted}. */
    private record Watched(HubJob job, boolean whole) {}

    private final Hub hub;
    /** Event streams open on this server, ended when it stops (they would otherwise hold the shutdown). */
    private final Set<JobEvents> streams = ConcurrentHashMap.newKeySet();

    JobRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router) {
        router.get("/api/jobs").handler(this::list);
        router.get("/api/jobs/:id").handler(this::one);
        router.get("/api/jobs/:id/events").handler(this::events);
    }

    private void list(RoutingContext ctx) {
        hub.json(ctx, 200, () -> {
            Caller caller = hub.caller(ctx);
            return hub.jobs.list().stream().filter(job -> hub.canSee(caller, job)).map(HubJob::withLinks).toList();
        });
    }

    private void one(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        hub.json(ctx, 200, () -> shownJob(hub.caller(ctx), id).withLinks());
    }

    private void events(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        // Watched before the job is read, so that no change between the read and the watch is lost.
        JobEvents stream = new JobEvents(hub, ctx, id, streams::remove);
        streams.add(stream);
        hub.blocking(() -> {
            Caller caller = hub.caller(ctx);
            HubJob job = find(id);
            return new Watched(hub.shown(caller, job), hub.canSee(caller, job)); // shown: 404 when hidden
        }).onFailure(e -> {
            stream.end();
            ctx.fail(e);
        }).onSuccess(watched -> {
            // Who may see what is decided once, when the stream starts: the caller and its rights are fixed for the
            // stream.
            stream.start(watched.job(), watched.whole());
        });
    }

    /** Ends every open event stream (the server is stopping). */
    void endStreams() {
        streams.forEach(JobEvents::end);
    }

    /** The job with this id, of any kind, or 404. Blocks. */
    private HubJob find(String id) {
        return hub.jobs.find(id).orElseThrow(() -> ApiException.notFound("job " + id + " not found"));
    }

    /** The job as the caller may see it (redacted when it may not see its repository), or 404. Blocks. */
    HubJob shownJob(Caller caller, String id) {
        HubJob job = find(id);
        // A preview job belongs to one repository (its id hashes the name), so Hub.shown hides it entirely when the
        // caller may not see that repository.
        return hub.shown(caller, job);
    }
}
