package io.quanthub.hub;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.quanthub.inference.preview.PreviewJob;
import io.quanthub.inference.preview.PreviewJobs;
import io.quanthub.inference.preview.PreviewRequest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Preview images rendered by the cluster's inference nodes ({@link PreviewJobs}), reported as {@link HubJob}s of kind
 * {@value #KIND} next to conversions, and in full ({@link View}: timings, PSNR and SSIM against the reference) at
 * {@code /api/previews/{id}}.
 *
 * <p>Every method blocks on the cluster: call from worker threads.
 */
final class Previews implements JobDirectory {
    static final String KIND = "preview";

    /**
     * A preview as {@code GET /api/previews/{id}} answers it: the job's fields as every job has them, then the
     * preview's own.
     *
     * @param reference the job id of the reference preview (the source's image it is compared with), or null
     * @param psnr      dB against the reference; {@code "Infinity"} when identical
     * @param ssim      SSIM of the 8-bit luma against the reference (Gaussian 11x11, sigma 1.5, K1 0.01, K2 0.03)
     */
    record View(@JsonUnwrapped HubJob job, String conditioning, long seed, int steps, int width, int height,
                String reference, boolean isReference, Double psnr, Double ssim, Timings timings, String node) {}

    /** Wall times of a finished preview, in milliseconds. */
    record Timings(List<Long> stepMillis, long decodeMillis, long loadMillis, long totalMillis) {}

    private final PreviewJobs jobs;

    Previews(PreviewJobs jobs) {
        this.jobs = jobs;
    }

    /** Asks for a preview (and its reference); the same request any number of times is one job. */
    View request(PreviewRequest request, String sourceLabel) {
        return view(jobs.request(request, sourceLabel));
    }

    Optional<View> view(String id) {
        return jobs.find(id).map(Previews::view);
    }

    /** The blob of a done preview's difference heatmap; null when it has none. */
    String heatmapDigest(String id) {
        return jobs.find(id).map(PreviewJob::result).map(PreviewJob.Result::heatmap).orElse(null);
    }

    @Override
    public Optional<HubJob> find(String id) {
        return jobs.find(id).map(Previews::toHubJob);
    }

    @Override
    public List<HubJob> list() {
        return jobs.list().stream().map(Previews::toHubJob).toList();
    }

    static View view(PreviewJob job) {
        PreviewRequest r = job.request();
        PreviewJob.Result result = job.result();
        Timings timings = null;
        if (result != null) {
            long steps = result.stepMillis().stream().mapToLong(Long::longValue).sum();
            timings = new Timings(result.stepMillis(), result.decodeMillis(), result.loadMillis(),
                    steps + result.decodeMillis());
        }
        return new View(toHubJob(job).withLinks(), r.conditioning(), r.seed(), r.steps(), r.width(), r.height(),
                job.reference(), r.isReference(), result == null ? null : result.psnr(),
                result == null ? null : result.ssim(), timings, job.node());
    }

    static HubJob toHubJob(PreviewJob job) {
        PreviewRequest r = job.request();
        PreviewJob.Result result = job.result();
        Map<String, String> links = new LinkedHashMap<>();
        String self = "/api/previews/" + job.id();
        links.put("preview", self);
        if (result != null) {
            links.put("image", self + "/image");
            if (result.heatmap() != null) links.put("heatmap", self + "/heatmap");
        }
        if (job.reference() != null) links.put("reference", "/api/previews/" + job.reference());
        return new HubJob(job.id(), KIND, state(job.state()), job.progress(), 0, 0, job.reason(), r.repo(),
                r.commit(), r.quant(), result == null ? null : result.image(), orNow(job.createdAt()),
                orNow(job.updatedAt()), links);
    }

    private static HubJob.State state(PreviewJob.State state) {
        return switch (state) {
            case QUEUED -> HubJob.State.QUEUED;
            case RUNNING -> HubJob.State.RUNNING;
            case DONE -> HubJob.State.DONE;
            case FAILED -> HubJob.State.FAILED;
        };
    }

    private static Instant orNow(Instant t) {
        return t != null ? t : Instant.now();
    }
}
