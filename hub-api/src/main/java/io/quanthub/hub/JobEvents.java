package io.quanthub.hub;

import io.quanthub.hub.api.ApiError;
import io.quanthub.hub.api.HubJob;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * One client's Server-Sent Events stream of a job ({@code GET /api/jobs/{id}/events}): the job's JSON as a
 * {@code progress} event now and on every change, then a final {@code done} or {@code failed} event, after which the
 * stream ends. A comment line every {@value #HEARTBEAT_MS} ms keeps proxies from closing a quiet stream.
 *
 * <p>The job is polled ({@link JobDirectory#find}, on a worker) every {@value #POLL_MS} ms while the client
 * listens, so any kind of job can be watched the same way. All other work happens on the request's event loop.
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
    static final long POLL_MS = 250;
    static final long HEARTBEAT_MS = 15_000;
    /** How long a browser's EventSource waits before reconnecting after a dropped connection. */
    static final long RETRY_MS = 2_000;

    private final Hub hub;
    private final HttpServerResponse response;
    private final Callable<HubJob> lookup;
    private final Consumer<JobEvents> onEnd;
    private final HubJob first;
    private String lastJson;
    private long pollTimer = -1;
    private long heartbeatTimer = -1;
    private boolean polling;
    private boolean ended;

    /**
     * @param first  the job when the stream starts
     * @param lookup the job now (blocking; throws when it is gone or no longer visible)
     * @param onEnd  told once when the stream has ended
     */
    JobEvents(Hub hub, RoutingContext ctx, HubJob first, Callable<HubJob> lookup, Consumer<JobEvents> onEnd) {
        this.hub = hub;
        this.response = ctx.response();
        this.first = first;
        this.lookup = lookup;
        this.onEnd = onEnd;
    }

    void start() {
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
        pollTimer = hub.vertx.setPeriodic(POLL_MS, t -> poll());
        heartbeatTimer = hub.vertx.setPeriodic(HEARTBEAT_MS, t -> {
            if (!ended) response.write(": heartbeat\n\n");
        });
    }

    private void poll() {
        if (polling || ended) return;
        polling = true;
        hub.blocking(lookup).onComplete(result -> {
            polling = false;
            if (ended) return;
            if (result.failed()) {
                Map.Entry<Integer, String> failure = Failures.map(result.cause());
                write("error", Jsons.write(ApiError.of(failure.getValue())).toString());
                end();
                return;
            }
            HubJob job = result.result();
            send(job);
            if (job.finished()) end();
        });
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

    /** Ends the stream (idempotent): the job finished, the client left, or the server stops. */
    void end() {
        if (ended) return;
        ended = true;
        if (pollTimer >= 0) hub.vertx.cancelTimer(pollTimer);
        if (heartbeatTimer >= 0) hub.vertx.cancelTimer(heartbeatTimer);
        if (!response.ended() && !response.closed()) response.end();
        onEnd.accept(this);
    }
}
