package io.quanthub.inference.preview;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import io.quanthub.cluster.FailureReason;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.model.FloatTensor;
import io.quanthub.inference.pipeline.Conditioning;
import io.quanthub.inference.pipeline.FluxPipeline;
import io.quanthub.inference.pipeline.Generation;
import io.quanthub.inference.pipeline.GenerationParams;
import io.quanthub.inference.pipeline.Png;
import io.quanthub.inference.pipeline.StepListener;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Commit;
import io.quanthub.storage.Digest;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.PreviewImages;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.Variant;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;

/**
 * An inference node: claims queued preview jobs on the cluster and renders them on its {@link ComputeBackend}, one at
 * a time (a render already uses every core). It reports its backend, device memory and loaded models to the cluster
 * ({@link InferenceNodes}) and claims only jobs whose models fit its device. Model files come from the bucket into a
 * local {@link ModelFiles} cache; models stay loaded between jobs, as many as the device holds ({@link LoadedModels},
 * least recently used evicted first), so previews of the same quants in a row do not reopen them.
 *
 * <p>A quant preview, once rendered, is compared with its reference: if the reference is done, its PNG is read back;
 * if it is still queued this node claims and renders it itself; if another node is rendering it, this node waits
 * for it. So a single node never deadlocks on a reference, and several nodes never render one twice on purpose.
 */
public final class PreviewNode implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PreviewNode.class.getName());
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration REFERENCE_WAIT = Duration.ofMillis(200);

    private final PreviewJobs jobs;
    private final HubStorage storage;
    private final ModelFiles files;
    private final PromptConditioning prompts;
    private final PromptEncoderCheck promptEncoders;
    private final UUID me;
    private final String address;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(Thread.ofPlatform()
            .name("quanthub-preview-node").daemon().factory());
    private volatile boolean closed;
    /** What this node has done, for its meters ({@link InferenceMetrics}). */
    private final java.util.concurrent.atomic.AtomicLong rendered = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong renderNanos = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean busy;

    /** Makes the backend of each model this node loads. */
    private final Supplier<ComputeBackend> backends;
    /** The device memory this node schedules and loads by. */
    private final long deviceBytes;
    /** The models kept loaded (transformers with their VAE, text encoders). */
    private final LoadedModels loaded;
    /** What this node last reported to the cluster. */
    private volatile NodeStatus status;

    private PreviewNode(PreviewJobs jobs, HubStorage storage, ModelFiles files,
                        Map<String, Map<String, String>> textEncoderDefaults, Supplier<ComputeBackend> backends,
                        Long deviceMemory) {
        this.backends = backends;
        this.jobs = jobs;
        this.storage = storage;
        this.files = files;
        this.promptEncoders = new PromptEncoderCheck(storage, textEncoderDefaults);
        this.me = jobs.hazelcast().getCluster().getLocalMember().getUuid();
        var local = jobs.hazelcast().getCluster().getLocalMember().getAddress();
        this.address = local.getHost() + ":" + local.getPort();
        if (deviceMemory != null && deviceMemory <= 0) {
            throw new IllegalArgumentException("device memory must be positive");
        }
        String device;
        try (ComputeBackend backend = backends.get()) { // only asked what it runs on; each model opens its own
            this.deviceBytes = deviceMemory != null ? deviceMemory : backend.deviceMemoryBytes();
            device = backend.description();
        }
        this.status = new NodeStatus(me, address, device.split(" ", 2)[0], device, deviceBytes, List.of());
        this.loaded = new LoadedModels(files, deviceBytes, this::report);
        this.prompts = new PromptConditioning(files, backends, loaded);
    }

    /** Reports what this node holds now to the cluster. */
    private void report(List<NodeStatus.Loaded> now) {
        status = status.withLoaded(now);
        try {
            jobs.nodes().report(status);
        } catch (HazelcastInstanceNotActiveException e) {
            // Stopping: the others forget this member's record.
        }
    }

    /**
     * Starts rendering the cluster's preview jobs on this member.
     *
     * @param cacheDir   where model files are cached ({@code <hex digest>} each)
     * @param cacheBytes how many bytes of model files to keep there
     * @param textEncoderDefaults the hub's per-architecture default text encoders (architecture to role to
     *                   reference, as {@code quanthub serve --text-encoders} gives them): prompt previews may run these
     */
    public static PreviewNode start(PreviewJobs jobs, HubStorage storage, Path cacheDir, long cacheBytes,
                                    Map<String, Map<String, String>> textEncoderDefaults) {
        return start(jobs, storage, cacheDir, cacheBytes, textEncoderDefaults, CpuBackend::new, null);
    }

    /**
     * {@link #start(PreviewJobs, HubStorage, Path, long, Map)} on backends from {@code backends} (one per model and
     * one per pair of text encoders).
     *
     * @param deviceMemory the device memory to schedule and load by, instead of what the backend reports (to share a
     *                     device between processes); null for the backend's
     */
    public static PreviewNode start(PreviewJobs jobs, HubStorage storage, Path cacheDir, long cacheBytes,
                                    Map<String, Map<String, String>> textEncoderDefaults,
                                    Supplier<ComputeBackend> backends, Long deviceMemory) {
        PreviewNode node = new PreviewNode(jobs, storage, new ModelFiles(storage.blobs(), cacheDir, cacheBytes),
                textEncoderDefaults, backends, deviceMemory);
        node.report(List.of());
        jobs.offerQueued();
        node.worker.execute(node::workLoop);
        return node;
    }

    /** What this node runs on and holds, as it reports it to the cluster. */
    public NodeStatus status() {
        return status;
    }

    /** {@code host:port} of this node's cluster member, as jobs report it. */
    public String address() {
        return address;
    }

    private void workLoop() {
        while (!closed) {
            try {
                jobs.awaitQueued(POLL);
                PreviewJob job = jobs.claimNext(me, address, deviceBytes);
                if (job != null) run(job);
            } catch (InterruptedException | HazelcastInstanceNotActiveException e) {
                return; // stopping: the other members requeue what this one was rendering
            } catch (RuntimeException e) {
                if (closed || !jobs.hazelcast().getLifecycleService().isRunning()) return;
                LOG.log(System.Logger.Level.WARNING, "preview worker error", e);
            }
        }
    }

    /** Renders a job this node has claimed, compares it with its reference, and records the outcome. */
    private void run(PreviewJob job) throws InterruptedException {
        busy = true;
        long started = System.nanoTime();
        loaded.beginJob();
        try {
            Rendered rendered = render(job, started);
            PreviewJob.Result result = rendered.result();
            if (job.reference() != null) result = compare(job, rendered, started);
            // The hub serves the images from this storage record, never from the job record in cluster state.
            storage.previews().put(job.id(), new PreviewImages.Rendered(job.request().repo(), result.image(),
                    result.heatmap()));
            jobs.done(job.id(), result);
            this.rendered.incrementAndGet();
            LOG.log(System.Logger.Level.INFO, job.request() + " done on " + address);
        } catch (InterruptedException | HazelcastInstanceNotActiveException e) {
            throw e;
        } catch (CancellationException e) {
            if (closed) throw new InterruptedException("stopping");
            LOG.log(System.Logger.Level.INFO, job.request() + " stopped: " + e.getMessage());
        } catch (Exception | OutOfMemoryError e) {
            if (closed) throw new InterruptedException("stopping");
            LOG.log(System.Logger.Level.WARNING, job.request() + " failed", e);
            jobs.fail(job.id(), FailureReason.of(e));
            failed.incrementAndGet();
        } finally {
            renderNanos.addAndGet(System.nanoTime() - started);
            busy = false;
        }
    }

    /** Previews this node rendered (and stored). */
    public long rendered() {
        return rendered.get();
    }

    /** Previews that failed on this node (not those stopped by a cancel or a shutdown). */
    public long failed() {
        return failed.get();
    }

    /** Seconds this node spent on jobs, whatever their outcome. */
    public double renderSeconds() {
        return renderNanos.get() / 1e9;
    }

    /** Whether it is working on a job now. */
    public boolean busy() {
        return busy;
    }

    /** Bytes of model files in its cache. */
    public long cachedBytes() {
        return files.bytes();
    }

    /** A render that ran past its job's time budget: the job fails with this message. */
    private static final class BudgetExceeded extends RuntimeException {
        BudgetExceeded(String message) {
            super(message);
        }
    }

    /** A rendered preview: its result (image stored) and its pixels, for the comparison. */
    private record Rendered(PreviewJob.Result result, byte[] rgb) {}

    private Rendered render(PreviewJob job, long claimedAt) throws IOException {
        PreviewRequest r = job.request();
        requireFilesOfItsCommit(r);
        long loadStart = System.nanoTime(); // the budget, from claimedAt, covers fetching the model too
        FluxPipeline p = pipeline(r.model(), r.vae());
        // Named as the user knows it: the cached file's name is only the digest.
        Conditioning conditioning = r.prompt() != null ? prompts.get(r.prompt())
                : Conditioning.of(FloatTensor.readSafetensors(files.get(r.conditioningDigest())),
                        "the conditioning set '" + r.conditioning() + "'");
        long loadMillis = (System.nanoTime() - loadStart) / 1_000_000;
        String id = job.id();
        Generation g = p.generate(conditioning, new GenerationParams(r.seed(), r.steps(), r.width(), r.height(),
                PreviewRequest.GUIDANCE), new StepListener() {
                    @Override
                    public void onStep(int step, int steps, float t, long millis) {
                        if (closed) throw new CancellationException("the node is stopping");
                        // Cancelled (or taken from this node): stop now rather than render for nobody.
                        if (!jobs.step(id, me, step)) throw new CancellationException(id + " is no longer ours");
                        requireWithinBudget(job, claimedAt, "at step " + step + " of " + steps);
                    }
                });
        byte[] rgb = g.image().toRgbBytes();
        Blob image = store(Png.encodeRgb(r.width(), r.height(), rgb));
        PreviewJob.Result result = new PreviewJob.Result(image.digest().toString(), null, null, null,
                Arrays.stream(g.timings().stepMillis()).boxed().toList(), g.timings().decodeMillis(), loadMillis,
                address);
        return new Rendered(result, rgb);
    }

    /**
     * The request's files must be files of its repository's commit (the model may also be a variant the hub made from
     * the source there; prompt encoders may also be those the model references, {@link PromptEncoderCheck}). A job
     * record written through the cluster port could name any blob by digest, and this node would render private
     * weights under a public repository's name.
     */
    private void requireFilesOfItsCommit(PreviewRequest r) {
        Commit commit = storage.repos().read(RepoName.parse(r.repo()), r.commit());
        Set<String> files = commit.files().values().stream().map(b -> b.digest().toString())
                .collect(Collectors.toSet());
        List<String> needed = new ArrayList<>(List.of(r.vae()));
        if (r.conditioningDigest() != null) needed.add(r.conditioningDigest());
        if (r.source() != null) needed.add(r.source());
        boolean variantOfSource = r.source() != null && storage.variants().list(Digest.parse(r.source())).stream()
                .anyMatch(v -> v.status() == Variant.Status.AVAILABLE && v.output() != null
                        && v.output().digest().toString().equals(r.model()));
        if (!variantOfSource) needed.add(r.model());
        for (String digest : needed) {
            if (!files.contains(digest)) {
                throw new IllegalArgumentException(digest + " is not a file of " + r.repo() + " at commit "
                        + r.commit() + ": a preview renders only its repository's files");
            }
        }
        if (r.prompt() != null) promptEncoders.require(commit, r.repo(), List.of(r.prompt().clip(), r.prompt().t5()));
    }

    /** Fails the job when it ran past its time budget since {@code claimedAt}, saying {@code where}. */
    private static void requireWithinBudget(PreviewJob job, long claimedAt, String where) {
        Duration budget = job.ticket().budget();
        if (System.nanoTime() - claimedAt > budget.toNanos()) {
            throw new BudgetExceeded("the preview exceeded its time budget of "
                    + (budget.toMillis() % 1000 == 0 ? budget.toSeconds() + " s" : budget.toMillis() + " ms")
                    + " (" + where + ")");
        }
    }

    /** The pipeline for these files: loaded already, or opened now (evicting what the device cannot hold with it). */
    private FluxPipeline pipeline(String model, String vae) throws IOException {
        return loaded.get(List.of(model, vae), () -> FluxPipeline.open(files.get(model), files.get(vae),
                backends.get()));
    }

    /** PSNR, SSIM and the heatmap against the reference, rendering the reference here if nobody has. */
    private PreviewJob.Result compare(PreviewJob job, Rendered rendered, long claimedAt)
            throws IOException, InterruptedException {
        PreviewRequest r = job.request();
        PreviewJob reference = awaitReference(job, claimedAt);
        // The reference's image as its node recorded it in storage (the job record's digest could be forged).
        String referenceImage = storage.previews().get(reference.id()).map(PreviewImages.Rendered::image)
                .orElseThrow(() -> new IllegalStateException("the reference preview " + reference.id()
                        + " has no image in storage"));
        byte[] referenceRgb = readRgb(referenceImage, r.width(), r.height());
        ImageQuality.Comparison comparison = ImageQuality.compare(r.width(), r.height(), rendered.rgb(), referenceRgb);
        Blob heatmap = store(Png.encodeRgb(r.width(), r.height(),
                DifferenceHeatmap.of(r.width(), r.height(), rendered.rgb(), referenceRgb)));
        return rendered.result().compared(heatmap.digest().toString(), comparison);
    }

    /**
     * The reference of {@code job}, done: rendered by another node, or claimed and rendered here when it fits this
     * node's device. One that only a larger node fits is waited for within the job's time budget.
     */
    private PreviewJob awaitReference(PreviewJob job, long claimedAt) throws InterruptedException {
        PreviewRequest referenceRequest = job.request().reference("source");
        while (!closed) {
            PreviewJob reference = jobs.find(job.reference()).orElse(null);
            if (reference == null) {
                // Evicted or lost with its members: ask for it again (the label is only for display).
                jobs.ensure(referenceRequest, null, job.ticket());
                continue;
            }
            switch (reference.state()) {
                case DONE -> {
                    return reference;
                }
                case FAILED -> throw new IllegalStateException("the reference preview " + reference.id()
                        + " failed: " + reference.reason());
                case QUEUED -> {
                    PreviewJob claimed = jobs.claim(reference.id(), me, address, deviceBytes);
                    if (claimed != null) {
                        run(claimed);
                    } else {
                        requireWithinBudget(job, claimedAt, "waiting for a node large enough for the reference "
                                + "preview, which needs " + DeviceMemory.format(reference.request().memoryBytes()));
                        Thread.sleep(REFERENCE_WAIT);
                    }
                }
                case RUNNING -> Thread.sleep(REFERENCE_WAIT);
            }
        }
        throw new InterruptedException("stopping");
    }

    private Blob store(byte[] png) {
        return storage.blobs().put(new ByteArrayInputStream(png), png.length);
    }

    /** The pixels of a stored PNG preview, as interleaved RGB bytes. */
    private byte[] readRgb(String digest, int width, int height) throws IOException {
        BufferedImage image;
        try (InputStream in = storage.blobs().open(Digest.parse(digest))) {
            image = ImageIO.read(in);
        }
        if (image == null || image.getWidth() != width || image.getHeight() != height) {
            throw new IOException("the reference image " + digest + " is not a " + width + "x" + height + " PNG");
        }
        byte[] rgb = new byte[3 * width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int argb = image.getRGB(x, y);
                int p = 3 * (y * width + x);
                rgb[p] = (byte) (argb >> 16);
                rgb[p + 1] = (byte) (argb >> 8);
                rgb[p + 2] = (byte) argb;
            }
        }
        return rgb;
    }

    /** Stops rendering (a render in progress is abandoned at its next step; the cluster requeues it). */
    @Override
    public void close() {
        closed = true;
        worker.shutdownNow();
        try {
            worker.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (jobs.hazelcast().getLifecycleService().isRunning()) {
                jobs.nodes().forget(me);
                jobs.release(me);
            }
        } catch (HazelcastInstanceNotActiveException ignored) {
            // The member stopped too: the others requeue its jobs and forget its record.
        }
        prompts.close();
        loaded.close();
    }
}
