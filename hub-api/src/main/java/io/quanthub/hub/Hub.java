package io.quanthub.hub;

import io.quanthub.hub.api.HubJob;
import io.quanthub.inference.preview.PreviewJobs;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.RepoStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.Callable;

/**
 * What every route group shares: configuration, storage, access control, the model catalog, metrics, the jobs
 * (conversions, when a converter-cluster member runs here), and the two ways to run blocking storage code off the
 * event loop ({@link #blocking} for short calls, {@link #uploads} for uploads, which hold a thread for as long as the
 * client sends).
 */
final class Hub {
    /** The branch a revision defaults to. */
    static final String DEFAULT_BRANCH = "main";

    final HubConfig config;
    final HubStorage storage;
    final Access access;
    final ModelCatalog catalog;
    final VariantQualities qualities;
    final HubMetrics metrics;
    final Vertx vertx;
    final WorkerExecutor uploads;
    /** Each caller's share of {@link #uploads}. */
    final UploadSlots uploadSlots;
    /** Every job the hub reports, of every kind. */
    final Jobs jobs = new Jobs();
    /** The changes of {@link #jobs}, pushed to the event streams that watch them. */
    final JobFeed feed;
    /** Quant levels produced on demand; null when no converter-cluster member runs in this process. */
    final Conversions conversions;
    /** Preview images rendered by the cluster's inference nodes; null without a cluster member. */
    final Previews previews;
    /** Which text encoders each model uses. */
    final ModelTextEncoders textEncoders;

    /**
     * @param converter the converter-cluster member of this process, or null
     * @param previews  the preview jobs on that member's cluster, or null
     */
    Hub(HubConfig config, HubStorage storage, HubMetrics metrics, Vertx vertx, ConverterMember converter,
        PreviewJobs previews) {
        this.config = config;
        this.storage = storage;
        this.access = new Access(storage.tokens(), storage.accounts(), storage.repos());
        this.catalog = new ModelCatalog(storage.blobs());
        this.qualities = new VariantQualities(storage.variants());
        this.textEncoders = new ModelTextEncoders(storage, access, catalog, config.textEncoderDefaults());
        this.metrics = metrics;
        this.vertx = vertx;
        this.uploads = vertx.createSharedWorkerExecutor("quanthub-uploads", config.maxConcurrentUploads());
        this.uploadSlots = new UploadSlots(config.maxUploadsPerUser());
        this.conversions = converter == null ? null : new Conversions(converter.jobs(), storage, catalog, qualities);
        if (conversions != null) jobs.add(conversions);
        this.previews = previews == null ? null : new Previews(previews);
        if (this.previews != null) jobs.add(this.previews);
        this.feed = new JobFeed(vertx);
        // One listener for the process, for as long as its cluster member lives (it goes with the member).
        jobs.onChange(feed::changed);
    }

    /** Runs blocking code on a worker thread; the future completes on the caller's event loop. */
    <T> Future<T> blocking(Callable<T> task) {
        return vertx.executeBlocking(task, false);
    }

    /** Runs {@code task} on a worker and answers with its result as JSON; failures go to {@link Failures}. */
    void json(RoutingContext ctx, int status, Callable<?> task) {
        blocking(task).onSuccess(body -> Jsons.send(ctx, status, body)).onFailure(ctx::fail);
    }

    /** The caller of a request (blocks on storage the first time a token is seen). */
    Caller caller(RoutingContext ctx) {
        return access.authenticate(ctx.request().getHeader("Authorization"));
    }

    /** Whether the caller may see the repository a job works for (a job without one is everyone's). Blocks. */
    boolean canSee(Caller caller, HubJob job) {
        return job.repo() == null || canSee(caller, RepoName.parse(job.repo()));
    }

    private boolean canSee(Caller caller, RepoName repo) {
        RepoStore.RepoInfo info = access.repoInfo(repo);
        return info != null && caller.canSee(info);
    }

    /**
     * The job as the caller may see it: whole when it may see the job's repository; its progress only (no
     * repository, commit or links) when it may see another repository that asked for the same conversion; else
     * 404, as if the job did not exist, so that nothing of a private repository leaks. Blocks.
     */
    HubJob shown(Caller caller, HubJob job) {
        if (canSee(caller, job)) return job;
        if (jobs.alsoAskedBy(job.id()).stream().anyMatch(repo -> canSee(caller, repo))) return job.redacted();
        throw ApiException.notFound("job " + job.id() + " not found");
    }

    /** The repository named by the {@code org} and {@code name} path parameters; 400 for a bad name. */
    static RepoName repo(RoutingContext ctx) {
        return new RepoName(ctx.pathParam("org"), ctx.pathParam("name"));
    }

    /** The {@code revision} query parameter, {@value #DEFAULT_BRANCH} when absent. */
    static String revision(RoutingContext ctx) {
        String revision = ctx.queryParams().get("revision");
        return revision == null || revision.isEmpty() ? DEFAULT_BRANCH : revision;
    }

    /** An integer query parameter in {@code [1, max]}, or {@code fallback} when absent; 400 otherwise. */
    static int intParam(RoutingContext ctx, String name, int fallback, int max) {
        String value = ctx.queryParams().get(name);
        if (value == null || value.isEmpty()) return fallback;
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= max) return n;
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw ApiException.badRequest("query parameter " + name + "=" + value + " must be an integer in 1.." + max);
    }
}
