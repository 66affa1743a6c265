package io.quanthub.hub.api;

import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One long-running job as the hub reports it ({@code GET /api/jobs/{id}}, its event stream, {@code GET /api/jobs}),
 * whatever kind it is: a conversion, a preview. Each kind's {@code io.quanthub.hub.JobDirectory} makes these; clients
 * read the same record.
 *
 * @param id         URL-safe, unique across kinds
 * @param kind       {@code conversion}, {@code preview}, ...
 * @param state      where it stands
 * @param progress   0..1
 * @param bytesDone  bytes of the output produced so far (0 when the kind does not count bytes)
 * @param bytesTotal bytes of the whole output; 0 until known
 * @param reason     why it failed; only when failed
 * @param repo       the repository it works for ({@code org/name}), or null; only callers who may see that
 *                   repository see it listed, or see {@code repo}, {@code commit} and the kind's links
 *                   ({@link #redacted})
 * @param commit     the commit it works on, or null
 * @param quant      the quant level it makes or uses, or null
 * @param output     the output blob ({@code sha256:...}) when done, or null
 * @param created    when it was created
 * @param updated    when it last changed
 * @param links      {@code self} and {@code events} (added by {@link #withLinks}), plus what the kind offers, e.g.
 *                   {@code download} once done
 * @param message    why a queued job waits, when something other than its turn holds it (a preview that no
 *                   inference node's device fits: "needs 12.3 GiB; the largest inference node has 8.0 GiB"), or null
 */
public record HubJob(String id, String kind, State state, double progress, long bytesDone, long bytesTotal,
                     String reason, String repo, String commit, String quant, String output, Instant created,
                     Instant updated, Map<String, String> links, String message) {
    public enum State {
        QUEUED, RUNNING, DONE, FAILED;

        @JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public HubJob {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(state, "state");
        if (!(progress >= 0 && progress <= 1)) throw new IllegalArgumentException("progress " + progress + " not in 0..1");
        links = Map.copyOf(links == null ? Map.of() : links);
    }

    /** A job with nothing to say beyond its state. */
    public HubJob(String id, String kind, State state, double progress, long bytesDone, long bytesTotal, String reason,
                  String repo, String commit, String quant, String output, Instant created, Instant updated,
                  Map<String, String> links) {
        this(id, kind, state, progress, bytesDone, bytesTotal, reason, repo, commit, quant, output, created, updated,
                links, null);
    }

    public boolean finished() {
        return state == State.DONE || state == State.FAILED;
    }

    /**
     * This job as shown to a caller who may not see its repository, but asks by id (which it got from a request of
     * its own, for the same source in another repository): its progress, without where it comes from.
     */
    public HubJob redacted() {
        return new HubJob(id, kind, state, progress, bytesDone, bytesTotal, reason, null, null, quant, output,
                created, updated, Map.of(), message);
    }

    /** This job with its API links: {@code self} and {@code events}, next to the kind's own. */
    public HubJob withLinks() {
        Map<String, String> all = new LinkedHashMap<>(links);
        all.put("self", "/api/jobs/" + id);
        all.put("events", "/api/jobs/" + id + "/events");
        return new HubJob(id, kind, state, progress, bytesDone, bytesTotal, reason, repo, commit, quant, output,
                created, updated, all, message);
    }
}
