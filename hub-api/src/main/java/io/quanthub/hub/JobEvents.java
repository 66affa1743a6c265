package io.quanthub.hub;

import io.quanthub.hub.api.ApiError;
import io.quanthub.hub.api.HubJob;
import io.vertx.core.AsyncResult;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One client's Server-Sent Events stream of a job ({@code GET /api/jobs/{id}/events}): the job's JSON as a
 * {@code progress} event now and on every change, then a final {@code done} or {@code failed} event, after which the
 * stream ends. A comment line every {@value #HEARTBEAT_MS} ms keeps proxies from closing a quiet stream.
 *
 * <p>The job is read once, when the stream starts; its changes are then pushed ({@link JobFeed}), so a stream reads
 * nothing while its job does not change. It watches before that first read, so no change between the read and the
 * watch is lost; a change pushed before the first read is sent only when it is not older than what the read found.
 * Everything happens on the request's event loop.
 *
 * <pre>
 * event: progress
 * data: {"id":"...","kind":"conversion","state":"running","progress":0.42,...}
 *
 * event: done
 * data: {"id":"...","state":"done","progress":1.0,...}
 * </pre>
 */
final class JobEvents {
    static final long HEARTBEAT_MS = 15_000;
    /** How long a browser's EventSource waits before reconnecting after a dropped connection. */
    static final long RETRY_MS = 2_000;

    private final Hub hub;
    private final HttpServerResponse response;
    private final Consumer<JobEvents> onEnd;
    private final JobFeed.Watch watch;
    /** Whether the watcher sees the job whole, or {@linkplain HubJob#redacted redacted}; known once started. */
    private boolean whole;
    /** The newest change pushed before the stream started. */
    private AsyncResult<HubJob> early;
    private String lastJson;
    private long heartbeatTimer = -1;
    private boolean started;
    private boolean ended;

    /**
     * Watches job {@code id} from now on; call on the request's event loop, then {@link #start} once the job was
     * read, or {@link #end} if it cannot be shown.
     *
     * @param onEnd told once when the stream has ended
     */
    JobEvents(Hub hub, RoutingContext ctx, String id, Consumer<JobEvents> onEnd) {
        this.hub = hub;
        this.response = ctx.response();
        this.onEnd = onEnd;
        this.watch = hub.feed.watch(id, this::pushed);
    }

    /**
     * Sends {@code first} (the job as read after the watch began) and then every change, until the job finishes.
     *
     * @param whole whether the client sees the job whole; else each change is {@linkplain HubJob#redacted redacted}
     */
    void start(HubJob first, boolean whole) {
        if (ended) { // the server stopped while the job was read
            if (!response.ended() && !response.closed()) response.end();
            return;
        }
        this.whole = whole;
        started = true;
        response.setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("X-Accel-Buffering", "no"); // nginx would otherwise hold events back
        response.closeHandler(v -> end());
        // The first bytes go out at once, so the client sees the headers before the first change.
        response.write("retry: " + RETRY_MS + "\n: events of job " + first.id() + "\n\n");
        send(first);
        if (first.finished()) {
            end();
            return;
        }
        if (early != null && early.succeeded() && !olderThan(early.result(), first)) pushed(early);
        early = null;
        if (ended) return;
        heartbeatTimer = hub.vertx.setPeriodic(HEARTBEAT_MS, t -> {
            if (!ended) response.write(": heartbeat\n\n");
        });
    }

    /** A change of the job (or why it could not be read), on the request's event loop. */
    private void pushed(AsyncResult<HubJob> change) {
        if (ended) return;
        if (!started) {
            early = change;
            return;
        }
        if (change.failed()) {
            Map.Entry<Integer, String> failure = Failures.map(change.cause());
            write("error", Jsons.write(ApiError.of(failure.getValue())).toString());
            end();
            return;
        }
        HubJob job = whole ? change.result() : change.result().redacted();
        send(job);
        if (job.finished()) end();
    }

    /**
     * Whether a change pushed before the first read shows an older state than that read: changes come in order, so
     * only those can be. A final state is never older (a finished job changes no more while it is watched).
     */
    private static boolean olderThan(HubJob change, HubJob first) {
        if (change.finished() || change.updated() == null || first.updated() == null) return false;
        int byTime = change.updated().compareTo(first.updated());
        return byTime < 0 || (byTime == 0 && change.progress() < first.progress());
    }

    /** Sends the job if it changed since the last event: {@code progress}, or its final state once finished. */
    private void send(HubJob job) {
        String json = Jsons.write(job.withLinks()).toString();
        if (json.equals(lastJson)) return;
        // A slow reader misses intermediate states, never the last one.
        if (!job.finished() && response.writeQueueFull()) return;
        lastJson = json;
        write(job.finished() ? job.state().id() : "progress", json);
    }

    private void write(String event, String json) {
        response.write("event: " + event + "\ndata: " + json + "\n\n");
    }

    /**
     * Ends the stream (idempotent): the job finished, the client left, the server stops, or the job cannot be shown
     * (the response is then the caller's to answer).
     */
    void end() {
        if (ended) return;
        ended = true;
        watch.close();
        if (heartbeatTimer >= 0) hub.vertx.cancelTimer(heartbeatTimer);
        if (started && !response.ended() && !response.closed()) response.end();
        onEnd.accept(this);
    }
}
