package io.quanthub.cli.hub;

/**
 * A job on the hub ({@code GET /api/jobs/{id}}, docs/hub-api.md): a conversion producing a quant level, say.
 *
 * @param state      {@code queued}, {@code running}, {@code done} or {@code failed}
 * @param progress   0..1
 * @param bytesDone  output bytes produced so far
 * @param bytesTotal bytes of the whole output; 0 until the hub knows
 * @param reason     why it failed; null otherwise
 */
public record HubJob(String id, String kind, String state, double progress, long bytesDone, long bytesTotal,
                     String reason) {
    public static final String DONE = "done";
    public static final String FAILED = "failed";

    public boolean finished() {
        return DONE.equals(state) || FAILED.equals(state);
    }

    static HubJob of(JsonFields f) {
        Double progress = f.optDecimal("progress");
        Long done = f.optNumber("bytesDone");
        Long total = f.optNumber("bytesTotal");
        return new HubJob(f.string("id"), f.optString("kind"), f.string("state"), progress == null ? 0 : progress,
                done == null ? 0 : done, total == null ? 0 : total, f.optString("reason"));
    }
}
