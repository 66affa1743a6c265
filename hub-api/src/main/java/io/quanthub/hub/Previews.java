package io.quanthub.hub;

import io.quanthub.hub.api.HubJob;
import io.quanthub.hub.api.Preview;
import io.quanthub.inference.preview.InferenceNodes;
import io.quanthub.inference.preview.NodeStatus;
import io.quanthub.inference.preview.PreviewJob;
import io.quanthub.inference.preview.PreviewJobs;
import io.quanthub.inference.preview.PreviewRequest;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Preview images rendered by the cluster's inference nodes ({@link PreviewJobs}), reported as {@link HubJob}s of kind
 * {@value #KIND} next to conversions, and in full ({@link Preview}: timings, PSNR and SSIM against the reference) at
 * {@code /api/previews/{id}}.
 *
 * <p>Every method blocks on the cluster: call from worker threads.
 */
final class Previews implements JobDirectory {
    static final String KIND = "preview";

    private final PreviewJobs jobs;
    /** Striped locks by requester (a lock per caller would grow with every address that ever asked). */
    private final Object[] callerLocks = new Object[64];

    Previews(PreviewJobs jobs) {
        this.jobs = jobs;
        Arrays.setAll(callerLocks, i -> new Object());
    }

    /**
     * Asks for a preview (and its reference) on {@code ticket}; the same request any number of times is one job.
     * A request that adds a job (none exists, or it failed) must fit the requester's quota and the queue.
     *
     * @throws ApiException 429 when the requester has {@link PreviewLimits#jobsPerCaller()} unfinished jobs, or the
     *                      queue holds {@link PreviewLimits#maxQueued()}
     */
    Preview request(PreviewRequest request, String sourceLabel, PreviewJob.Ticket ticket, PreviewLimits limits) {
        // One caller's requests through this hub check and add one at a time, so parallel requests cannot all pass
        // the check. Across hub replicas (and between callers, for the queue length) the caps are approximate.
        synchronized (callerLocks[Math.floorMod(Objects.hashCode(ticket.requester()), callerLocks.length)]) {
            return checkedRequest(request, sourceLabel, ticket, limits);
        }
    }

    private Preview checkedRequest(PreviewRequest request, String sourceLabel, PreviewJob.Ticket ticket,
                                   PreviewLimits limits) {
        int adds = adds(request.jobId()) + (request.compared() ? adds(request.reference(sourceLabel).jobId()) : 0);
        if (adds > 0) {
            PreviewJobs.Load load = jobs.load(ticket.requester());
            if (load.heldByRequester() + adds > limits.jobsPerCaller()) {
                throw new ApiException(429, "you have " + load.heldByRequester() + " preview jobs queued or running "
                        + "and this request adds " + adds + " (at most " + limits.jobsPerCaller() + " per caller); "
                        + "wait for one to finish or cancel one (POST /api/previews/{id}/cancel)");
            }
            if (load.queued() + adds > limits.maxQueued()) {
                throw new ApiException(429, "the preview queue is full (" + load.queued() + " jobs queued, at most "
                        + limits.maxQueued() + "); try again when some have started");
            }
        }
        return view(jobs.request(request, sourceLabel, ticket));
    }

    /** 1 when asking for job {@code id} queues it (it does not exist, or it failed), else 0. */
    private int adds(String id) {
        return jobs.find(id).map(job -> job.state() == PreviewJob.State.FAILED ? 1 : 0).orElse(1);
    }

    /**
     * Cancels a preview job that has not finished: it fails with the reason "cancelled by {@code who}", and its node
     * stops at the next sampler step.
     *
     * @param requester the caller's ticket key; only the requester's own jobs, unless {@code admin}
     * @throws ApiException 404 no such job, 403 someone else's job, 409 already finished
     */
    Preview cancel(String id, String requester, boolean admin, String who) {
        PreviewJob job = jobs.find(id).orElseThrow(() -> ApiException.notFound("no preview " + id));
        if (!admin && (requester == null || !requester.equals(job.ticket().requester()))) {
            throw new ApiException(403, "only the caller who asked for preview " + id + ", or an admin, may cancel it");
        }
        if (job.finished()) {
            throw new ApiException(409, "preview " + id + " has already finished: it is " + state(job.state()).id());
        }
        PreviewJob after = jobs.cancel(id, "cancelled by " + who).orElseThrow(() ->
                ApiException.notFound("no preview " + id));
        return view(after);
    }

    Optional<Preview> view(String id) {
        return jobs.find(id).map(this::view);
    }

    @Override
    public Optional<HubJob> find(String id) {
        return jobs.find(id).map(this::toHubJob);
    }

    @Override
    public List<HubJob> list() {
        List<PreviewJob> all = jobs.list();
        // The nodes are read once for the whole list, not once per queued job.
        OptionalLong largest = all.stream().anyMatch(j -> j.state() == PreviewJob.State.QUEUED)
                ? jobs.nodes().largestDevice() : OptionalLong.empty();
        return all.stream().map(job -> toHubJob(job, waitingReason(job, largest))).toList();
    }

    /** The inference nodes of the cluster, largest device first. */
    List<NodeStatus> nodes() {
        return jobs.nodes().live();
    }

    @Override
    public AutoCloseable onChange(Consumer<Change> listener) {
        return jobs.onChange(job -> listener.accept(new Change(job.id(), () -> toHubJob(job))));
    }

    Preview view(PreviewJob job) {
        PreviewRequest r = job.request();
        PreviewJob.Result result = job.result();
        Preview.Timings timings = null;
        if (result != null) {
            long steps = result.stepMillis().stream().mapToLong(Long::longValue).sum();
            timings = new Preview.Timings(result.stepMillis(), result.decodeMillis(), result.loadMillis(),
                    steps + result.decodeMillis());
        }
        return new Preview(toHubJob(job).withLinks(), r.conditioning(), r.prompt() == null ? null : r.prompt().text(),
                r.seed(), r.steps(), r.width(), r.height(),
                job.reference(), r.isReference(), result == null ? null : result.psnr(),
                result == null ? null : result.ssim(), timings, job.node(), new java.util.TreeMap<>(r.textEncoders()),
                r.memoryBytes());
    }

    /** The job as the hub reports it, saying why it waits when no inference node's device fits it. */
    HubJob toHubJob(PreviewJob job) {
        return toHubJob(job, job.state() == PreviewJob.State.QUEUED
                ? jobs.nodes().waitingReason(job.request().memoryBytes()) : null);
    }

    private static String waitingReason(PreviewJob job, OptionalLong largestDevice) {
        if (job.state() != PreviewJob.State.QUEUED || largestDevice.isEmpty()) return null;
        return InferenceNodes.waitingReason(job.request().memoryBytes(), largestDevice.getAsLong());
    }

    private static HubJob toHubJob(PreviewJob job, String message) {
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
                orNow(job.updatedAt()), links, message);
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
