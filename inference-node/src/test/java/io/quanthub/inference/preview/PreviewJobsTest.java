package io.quanthub.inference.preview;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.LocalMapStats;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.quanthub.cluster.ClusterMember;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.pipeline.Conditioning;
import io.quanthub.inference.pipeline.FluxPipeline;
import io.quanthub.inference.pipeline.GenerationParams;
import io.quanthub.inference.pipeline.Png;
import io.quanthub.inference.pipeline.StepListener;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Changes;
import io.quanthub.storage.CommitRequest;
import io.quanthub.storage.Digest;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.RepoName;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The preview service on a real cluster: Hazelcast members in this JVM on loopback, each with its {@link PreviewJobs},
 * some with a {@link PreviewNode}, rendering the demo model whose files lie in a real S3 bucket (S3Proxy on a
 * temporary folder). What the cluster did is read from the jobs map itself: an entry listener records every claim
 * (QUEUED to RUNNING, with the node that claimed) and every finish.
 */
class PreviewJobsTest {
    private static final Duration PATIENCE = Duration.ofMinutes(3); // a hang guard, not a timing assertion
    private static final String SOURCE_LABEL = "BF16";

    @TempDir
    static Path dir;
    static EmbeddedS3 s3;
    static HubStorage storage;
    /** The demo model's files, as written locally (for the uninterrupted render) and their blob digests. */
    static Path demo;
    static String source;
    static String q8;
    static String vae;
    static String conditioning;
    /** The commit of {@link #REPO} holding those files (a node renders only files of the request's commit). */
    static String commit;
    private static final RepoName REPO = RepoName.parse("demo/flux-demo");

    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<PreviewJobs> services = new ArrayList<>();
    private final List<PreviewNode> nodes = new ArrayList<>();

    @BeforeAll
    static void startStorageWithTheDemoModel() throws IOException {
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        storage = HubStorage.open(s3.settings("previews"));
        demo = Files.createDirectories(dir.resolve("demo"));
        DemoModel.write(demo, 42);
        Path gguf = demo.resolve("flux-demo-Q8_0.gguf");
        new Converter(2, false).convert(demo.resolve(DemoModel.MODEL_FILE), QuantLevel.Q8_0, gguf,
                Converter.ProgressListener.NONE);
        source = push(demo.resolve(DemoModel.MODEL_FILE));
        q8 = push(gguf);
        vae = push(demo.resolve(DemoModel.VAE_FILE));
        conditioning = push(demo.resolve(DemoModel.conditioningPath("random-a")));
        storage.repos().create(REPO, "test");
        commit = commitFile("flux-demo.safetensors", source);
        commitFile("flux-demo-Q8_0.gguf", q8);
        commitFile("ae.safetensors", vae);
        commit = commitFile("conditioning/random-a.safetensors", conditioning);
    }

    /** Commits blob {@code digest} at {@code path} on main; the new commit's id. */
    private static String commitFile(String path, String digest) {
        Blob blob = storage.blobs().stat(Digest.parse(digest)).orElseThrow();
        return storage.repos().commit(CommitRequest.onHead(REPO, "main", Changes.put(path, blob), "test", "add " + path))
                .id();
    }

    @AfterAll
    static void stopStorage() {
        storage.close();
        s3.close();
    }

    @AfterEach
    void stopCluster() {
        nodes.forEach(PreviewNode::close);
        services.forEach(PreviewJobs::close);
        members.forEach(m -> m.getLifecycleService().terminate());
    }

    @Test
    void aPreviewAskedForConcurrentlyOnEveryMemberIsOneJobRenderedOnce() throws Exception {
        List<PreviewJobs> cluster = startCluster(3);
        cluster.forEach(this::startNode);
        Journal journal = Journal.of(cluster.getFirst());
        // A quant compared with its source: two jobs (the preview and its reference), each to be rendered once.
        PreviewRequest request = request("Q8_0", q8, source, 1, 2, 64, 48);
        String referenceId = request.reference(SOURCE_LABEL).jobId();

        ExecutorService callers = Executors.newFixedThreadPool(6);
        List<Future<PreviewJob>> answers = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            PreviewJobs member = cluster.get(i % 3);
            answers.add(callers.submit(() -> member.request(request, SOURCE_LABEL)));
        }
        Set<String> ids = new HashSet<>();
        for (Future<PreviewJob> answer : answers) {
            PreviewJob job = answer.get();
            ids.add(job.id());
            assertEquals(referenceId, job.reference());
        }
        callers.shutdown();
        assertEquals(Set.of(request.jobId()), ids, "one job for every request");

        PreviewJob done = journal.awaitFinished(request.jobId(), 1);
        PreviewJob reference = journal.awaitFinished(referenceId, 1);
        assertEquals(PreviewJob.State.DONE, done.state(), done.toString());
        assertEquals(PreviewJob.State.DONE, reference.state(), reference.toString());
        assertEquals(1, journal.claims(request.jobId()).size(), "rendered once: " + journal);
        assertEquals(1, journal.claims(referenceId).size(), "reference rendered once: " + journal);
        assertTrue(done.result().psnr() > 10 && Double.isFinite(done.result().psnr()), "PSNR " + done.result());
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(read(done.result().image())));
        assertEquals(64, image.getWidth());
        assertEquals(48, image.getHeight());

        // Asked again anywhere: the same job, done, and nothing rendered again.
        for (PreviewJobs member : cluster) {
            PreviewJob again = member.request(request, SOURCE_LABEL);
            assertEquals(PreviewJob.State.DONE, again.state());
            assertEquals(done.result().image(), again.result().image());
        }
        assertEquals(1, journal.claims(request.jobId()).size(), journal.toString());
    }

    @Test
    void aNodeKilledMidRenderLeavesItsJobToAnotherNodeThatRendersTheSameBytes() throws Exception {
        List<PreviewJobs> cluster = startCluster(3);
        PreviewJobs hub = cluster.getFirst(); // asks and watches; renders nothing
        List<PreviewNode> renderers = List.of(startNode(cluster.get(1)), startNode(cluster.get(2)));
        Journal journal = Journal.of(hub);
        PreviewRequest request = request("BF16", source, null, 2, 20, 128, 128);

        String id = hub.request(request, SOURCE_LABEL).id();
        PreviewJob running = awaitMidRender(hub, id);
        HazelcastInstance victim = members.stream()
                .filter(m -> m.getCluster().getLocalMember().getUuid().equals(running.owner()))
                .findFirst().orElseThrow();
        victim.getLifecycleService().terminate();

        PreviewJob done = journal.awaitFinished(id, 1);
        assertEquals(PreviewJob.State.DONE, done.state(), done.toString());
        String survivor = renderers.stream().map(PreviewNode::address).filter(a -> !a.equals(running.node()))
                .findFirst().orElseThrow();
        assertEquals(List.of(running.node(), survivor), journal.claims(id), "claimed by the victim, then requeued "
                + "and claimed by the other node");
        assertEquals(survivor, done.result().node());
        assertEquals(request.steps(), done.result().stepMillis().size(), "rendered from the start");

        byte[] png = read(done.result().image());
        assertArrayEquals(uninterruptedRender(request), png, "the same PNG as a render nobody interrupted");
        assertEquals(Digest.of(png).toString(), done.result().image());
    }

    @Test
    void aRenderThatFailsEndsFailedWithAOneLineReasonAndAskingAgainRequeuesIt() throws Exception {
        List<PreviewJobs> cluster = startCluster(2);
        PreviewJobs hub = cluster.getFirst();
        startNode(cluster.get(1));
        Journal journal = Journal.of(hub);
        // The VAE decoder as the transformer: a real safetensors file, but no Flux model.
        PreviewRequest notFlux = request("BF16", vae, null, 3, 2, 64, 48);
        // The conditioning set without its pooled vector y.
        String noY = push(new SafetensorsWriter().addF32("txt", new long[] {1, 4, DemoModel.SHAPE.contextWidth()},
                new float[4 * DemoModel.SHAPE.contextWidth()]), "no-y.safetensors");
        PreviewRequest missingY = new PreviewRequest("demo/flux-demo", commitFile("conditioning/no-y.safetensors", noY),
                "BF16", source, null, vae, "no-y", noY, 3, 2, 64, 48);

        String id = hub.request(notFlux, SOURCE_LABEL).id();
        PreviewJob failed = journal.awaitFinished(id, 1);
        assertFailedWithOneLine(failed);
        PreviewJob noConditioning = journal.awaitFinished(hub.request(missingY, SOURCE_LABEL).id(), 1);
        assertFailedWithOneLine(noConditioning);
        assertTrue(failed.reason().contains("is not a Flux transformer"), failed.reason());
        assertTrue(noConditioning.reason().endsWith("the conditioning set 'no-y' has no tensor 'y'"),
                noConditioning.reason());

        PreviewJob again = cluster.get(1).request(notFlux, SOURCE_LABEL);
        assertEquals(PreviewJob.State.QUEUED, again.state(), "asked again, a failed job is queued again");
        assertEquals(id, again.id());
        assertEquals(null, again.reason());
        PreviewJob failedAgain = journal.awaitFinished(id, 2);
        assertFailedWithOneLine(failedAgain);
        assertEquals(failed.reason(), failedAgain.reason());
        assertEquals(2, journal.claims(id).size(), "rendered (tried) again: " + journal);
    }

    @Test
    void aCancelledJobFailsAtOnceAndItsNodeStopsAtTheNextStepWithoutStoringAnImage() throws Exception {
        List<PreviewJobs> cluster = startCluster(2);
        PreviewJobs hub = cluster.getFirst();
        startNode(cluster.get(1));
        Journal journal = Journal.of(hub);
        PreviewRequest slow = request("BF16", source, null, 5, 40, 128, 128);
        PreviewRequest next = request("BF16", source, null, 6, 1, 32, 32);

        String id = hub.request(slow, SOURCE_LABEL).id();
        awaitMidRender(hub, id);
        PreviewJob cancelled = hub.cancel(id, "cancelled by test").orElseThrow();
        assertEquals(PreviewJob.State.FAILED, cancelled.state());
        assertEquals("cancelled by test", cancelled.reason());
        // The only node renders the next job once it has let go of the cancelled one.
        PreviewJob done = journal.awaitFinished(hub.request(next, SOURCE_LABEL).id(), 1);
        assertEquals(PreviewJob.State.DONE, done.state(), done.toString());

        assertEquals(List.of(cancelled), journal.finished().get(id), "nothing overwrote the cancellation");
        assertFalse(storage.blobs().exists(Digest.of(uninterruptedRender(slow))),
                "the node stopped mid-render: the cancelled preview's image was never stored");
        assertEquals(java.util.Optional.of(cancelled), hub.cancel(id, "again"), "cancelling a finished job: no-op");
    }

    @Test
    void aJobOverItsTimeBudgetFailsSayingSo() throws Exception {
        List<PreviewJobs> cluster = startCluster(1);
        startNode(cluster.getFirst());
        Journal journal = Journal.of(cluster.getFirst());
        PreviewRequest request = request("BF16", source, null, 7, 3, 64, 64);

        String id = cluster.getFirst().request(request, SOURCE_LABEL,
                new PreviewJob.Ticket("user:test", Duration.ofMillis(1))).id();

        PreviewJob failed = journal.awaitFinished(id, 1);
        assertFailedWithOneLine(failed);
        assertTrue(failed.reason().startsWith("the preview exceeded its time budget of 1 ms (at step 1 of 3)"),
                failed.reason());
    }

    @Test
    void nanConditioningFailsThePreviewNamingTheTensor() throws Exception {
        List<PreviewJobs> cluster = startCluster(1);
        startNode(cluster.getFirst());
        Journal journal = Journal.of(cluster.getFirst());
        int context = DemoModel.SHAPE.contextWidth();
        float[] txt = new float[4 * context];
        txt[5] = Float.NaN;
        String nan = push(new SafetensorsWriter().addF32("txt", new long[] {1, 4, context}, txt)
                .addF32("y", new long[] {1, DemoModel.SHAPE.vectorWidth()}, new float[DemoModel.SHAPE.vectorWidth()]),
                "nan.safetensors");
        PreviewRequest request = new PreviewRequest("demo/flux-demo", commitFile("conditioning/nan.safetensors", nan),
                "BF16", source, null, vae, "nan", nan, 3, 2, 64, 48);

        PreviewJob failed = journal.awaitFinished(cluster.getFirst().request(request, SOURCE_LABEL).id(), 1);
        assertFailedWithOneLine(failed);
        assertTrue(failed.reason().endsWith("the conditioning set 'nan': tensor 'txt' holds NaN at element 5; "
                + "conditioning must be finite"), failed.reason());
    }

    @Test
    void aRequestNamingABlobOutsideItsCommitIsNotRendered() throws Exception {
        List<PreviewJobs> cluster = startCluster(1);
        startNode(cluster.getFirst());
        Journal journal = Journal.of(cluster.getFirst());
        // A record as a stranger on the cluster port could write it: a public repository's name, someone's weights.
        String elsewhere = push(demo.resolve(DemoModel.MODEL_FILE).resolveSibling("private-weights.safetensors"),
                demo.resolve(DemoModel.MODEL_FILE));
        PreviewRequest forged = new PreviewRequest("demo/flux-demo", commit, "BF16", elsewhere, null, vae, "random-a",
                conditioning, 8, 1, 32, 32);

        PreviewJob failed = journal.awaitFinished(cluster.getFirst().request(forged, SOURCE_LABEL).id(), 1);
        assertFailedWithOneLine(failed);
        assertEquals(elsewhere + " is not a file of demo/flux-demo at commit " + commit + ": a preview renders only "
                + "its repository's files", failed.reason());
        assertTrue(storage.previews().get(failed.id()).isEmpty(), "nothing rendered");
    }

    @Test
    void aPromptRequestNamingEncodersTheModelDoesNotReferenceIsNotRendered() throws Exception {
        List<PreviewJobs> cluster = startCluster(1);
        startNode(cluster.getFirst());
        Journal journal = Journal.of(cluster.getFirst());
        // A forged record: encoders by digest that are neither files of the commit nor named by its quanthub.json.
        String elsewhere = push(demo.resolve(DemoModel.MODEL_FILE).resolveSibling("private-encoder.safetensors"),
                demo.resolve(DemoModel.VAE_FILE));
        PreviewRequest forged = new PreviewRequest("demo/flux-demo", commit, "BF16", source, null, vae, null, null,
                9, 1, 32, 32, new PreviewRequest.Prompt("a cat", elsewhere, elsewhere, 16), Map.of());

        PreviewJob failed = journal.awaitFinished(cluster.getFirst().request(forged, SOURCE_LABEL).id(), 1);
        assertFailedWithOneLine(failed);
        assertEquals(elsewhere + " is neither a file of demo/flux-demo at commit " + commit + " nor a text encoder "
                + "it references: a preview runs only the encoders its model names", failed.reason());
        assertTrue(storage.previews().get(failed.id()).isEmpty(), "nothing rendered");
    }

    @Test
    void encodersTheAdminNamesAsDefaultsAreAdmitted() throws Exception {
        List<PreviewJobs> cluster = startCluster(1);
        String encoder = push(demo.resolve(DemoModel.MODEL_FILE).resolveSibling("default-encoder.safetensors"),
                demo.resolve(DemoModel.VAE_FILE));
        RepoName encoders = RepoName.parse("enc/defaults");
        storage.repos().create(encoders, "test");
        storage.repos().commit(CommitRequest.onHead(encoders, "main", Changes.put("clip_l.safetensors",
                storage.blobs().stat(Digest.parse(encoder)).orElseThrow()), "test", "add the encoder"));
        Path cache = dir.resolve("cache-" + UUID.randomUUID());
        nodes.add(PreviewNode.start(cluster.getFirst(), storage, cache, 1L << 30,
                Map.of("flux", Map.of("clip_l", "enc/defaults/clip_l.safetensors"))));
        Journal journal = Journal.of(cluster.getFirst());
        PreviewRequest request = new PreviewRequest("demo/flux-demo", commit, "BF16", source, null, vae, null, null,
                10, 1, 32, 32, new PreviewRequest.Prompt("a cat", encoder, encoder, 16), Map.of());

        // Admitted, so the node goes on to open it, which a VAE's tensors cannot be: that is the failure now.
        PreviewJob failed = journal.awaitFinished(cluster.getFirst().request(request, SOURCE_LABEL).id(), 1);
        assertFailedWithOneLine(failed);
        assertTrue(failed.reason().startsWith("the model's text encoders cannot be run"), failed.reason());
    }

    @Test
    void listsAndQuotasReadOnlyUnfinishedAndRecentJobsThroughIndexesNotTheThousandsFinishedBefore() throws Exception {
        List<PreviewJobs> cluster = startCluster(2);
        Instant old = Instant.now().minus(Duration.ofHours(2));
        Map<String, PreviewJob> records = new HashMap<>();
        for (int seed = 0; seed < 2_000; seed++) {
            PreviewJob finished = PreviewJob.queued(request(seed), null, PreviewJob.Ticket.NONE, old).failed("old", old);
            records.put(finished.id(), finished);
        }
        PreviewJob.Ticket ann = new PreviewJob.Ticket("user:ann", PreviewJob.Ticket.DEFAULT_BUDGET);
        PreviewJob live = PreviewJob.queued(request(-1), null, ann, Instant.now());
        records.put(live.id(), live);
        IMap<String, PreviewJob> map = members.getFirst().getMap(PreviewJobs.JOBS);
        map.putAll(records);
        awaitNoMigrations();
        long[] before = queryCounts();

        assertEquals(List.of(live.id()), cluster.get(1).list().stream().map(PreviewJob::id).toList());
        assertEquals(new PreviewJobs.Load(1, 1), cluster.get(1).load("user:ann"));
        cluster.get(1).offerQueued();

        long[] after = queryCounts();
        assertTrue(after[0] > before[0], "the reads are queries");
        assertEquals(after[0] - before[0], after[1] - before[1], "every query was answered by an index, none "
                + "read the whole map");
    }

    private static PreviewRequest request(long seed) {
        return new PreviewRequest(REPO.toString(), commit, "Q8_0", q8, null, vae, "random-a", conditioning, seed, 1, 32,
                32);
    }

    /**
     * Waits until no partition is migrating: while one is (just after members join, longer under load), Hazelcast
     * answers a query by scanning rather than from its not yet complete global indexes.
     */
    // ---- scheduling by device memory ------------------------------------------------------------------------------

    @Test
    void aJobThatFitsOnlyTheLargerDeviceGoesToTheNodeWithIt() throws Exception {
        List<PreviewJobs> cluster = startCluster(3);
        PreviewJobs hub = cluster.getFirst(); // asks and watches; renders nothing
        PreviewNode small = startNode(cluster.get(1), need(q8));
        PreviewNode large = startNode(cluster.get(2), need(source));
        Journal journal = Journal.of(hub);
        assertTrue(need(q8) < need(source), "the quant is smaller than its source");

        // Sources that only the large node fits, and quants either fits, asked for in turns.
        List<String> sources = new ArrayList<>();
        List<String> quants = new ArrayList<>();
        for (int seed = 0; seed < 3; seed++) {
            sources.add(hub.request(sized("BF16", source, seed), SOURCE_LABEL).id());
            quants.add(hub.request(sized("Q8_0", q8, seed), SOURCE_LABEL).id());
        }
        for (String id : sources) {
            assertEquals(PreviewJob.State.DONE, journal.awaitFinished(id, 1).state());
            assertEquals(List.of(large.address()), journal.claims(id), "only the large node fits " + id);
        }
        for (String id : quants) assertEquals(PreviewJob.State.DONE, journal.awaitFinished(id, 1).state());
        assertEquals(need(source), hub.nodes().largestDevice().orElseThrow());
        assertEquals(List.of(large.address(), small.address()), hub.nodes().live().stream()
                .map(NodeStatus::address).toList(), "both nodes report themselves, largest first");
    }

    @Test
    void aJobNoNodeFitsWaitsSayingWhyAndRunsWhenALargeEnoughNodeJoins() throws Exception {
        List<PreviewJobs> cluster = startCluster(2);
        PreviewJobs hub = cluster.getFirst();
        PreviewNode small = startNode(cluster.get(1), need(q8));
        Journal journal = Journal.of(hub);

        String tooLarge = hub.request(sized("BF16", source, 7), SOURCE_LABEL).id();
        // Asked for after it: the small node renders this one, so it has looked at the queue and passed the first.
        String fits = hub.request(sized("Q8_0", q8, 7), SOURCE_LABEL).id();
        assertEquals(PreviewJob.State.DONE, journal.awaitFinished(fits, 1).state());
        assertEquals(List.of(small.address()), journal.claims(fits));
        PreviewJob waiting = hub.find(tooLarge).orElseThrow();
        assertEquals(PreviewJob.State.QUEUED, waiting.state(), waiting.toString());
        assertEquals(need(source), waiting.request().memoryBytes());
        assertEquals("needs " + DeviceMemory.format(need(source)) + "; the largest inference node has "
                + DeviceMemory.format(need(q8)), hub.nodes().waitingReason(waiting.request().memoryBytes()));

        // A large node joins the cluster: it picks the job up.
        int port = freePorts(1).getFirst();
        HazelcastInstance joining = ClusterMember.start(members.getFirst().getConfig().getClusterName(),
                List.of(address(members.getFirst()), "127.0.0.1:" + port), port);
        members.add(joining);
        PreviewJobs joined = new PreviewJobs(joining);
        services.add(joined);
        PreviewNode large = startNode(joined, need(source));
        PreviewJob done = journal.awaitFinished(tooLarge, 1);
        assertEquals(PreviewJob.State.DONE, done.state(), done.toString());
        assertEquals(List.of(large.address()), journal.claims(tooLarge));
        assertEquals(null, hub.nodes().waitingReason(need(source)), "a node fits it now");

        // The large node's member dies: the others remove its record, and the job would wait again.
        joining.getLifecycleService().terminate();
        assertEquals(List.of(small.address()), awaitNodes(hub, 1).stream().map(NodeStatus::address).toList());
        IMap<Object, Object> records = hub.hazelcast().getMap(InferenceNodes.NODES);
        Instant deadline = Instant.now().plus(PATIENCE); // a hang guard, not a timing assertion
        while (records.size() > 1 && Instant.now().isBefore(deadline)) Thread.sleep(20);
        assertEquals(java.util.Set.of(cluster.get(1).hazelcast().getCluster().getLocalMember().getUuid()),
                records.keySet(), "only the small node's record is left");
        assertEquals("needs " + DeviceMemory.format(need(source)) + "; the largest inference node has "
                + DeviceMemory.format(need(q8)), hub.nodes().waitingReason(need(source)));
    }

    @Test
    void aNodeKeepsTheModelsItsDeviceHoldsAndEvictsTheLeastRecentlyUsed() throws Exception {
        // Three transformers of about the same size: the Q8_0 file, and copies of it one and two bytes longer.
        String a = q8;
        String b = push(dir.resolve("q8-b.gguf"), demo.resolve("flux-demo-Q8_0.gguf"));
        String c = push(dir.resolve("q8-c.gguf"), dir.resolve("q8-b.gguf"));
        commitFile("flux-demo-b.gguf", b);
        String withCopies = commitFile("flux-demo-c.gguf", c);
        long largestTwo = size(b) + size(c) + 2 * size(vae);
        assertFalse(DeviceMemory.fits(size(a) + size(vae) + largestTwo, DeviceMemory.forWeights(largestTwo)),
                "three do not fit");
        List<PreviewJobs> cluster = startCluster(2);
        PreviewJobs hub = cluster.getFirst();
        PreviewNode node = startNode(cluster.get(1), DeviceMemory.forWeights(largestTwo));
        Journal journal = Journal.of(hub);

        int seed = 0;
        for (String model : List.of(a, b, a, c)) {
            PreviewRequest r = new PreviewRequest("demo/flux-demo", withCopies, "Q8_0", model, null, vae, "random-a",
                    conditioning, seed++, 1, 16, 16);
            assertEquals(PreviewJob.State.DONE, journal.awaitFinished(hub.request(r, SOURCE_LABEL).id(), 1).state());
            if (seed == 2) assertEquals(List.of(List.of(a, vae), List.of(b, vae)), loaded(hub, node), "both fit");
        }
        assertEquals(List.of(List.of(a, vae), List.of(c, vae)), loaded(hub, node),
                "b, used least recently, made room for c; a was used again");
    }

    @Test
    void nodeRecordsWrittenThroughTheClusterPortCountOnlyAsTheLiveMemberTheyNameUnderItsOwnKey() throws Exception {
        List<PreviewJobs> cluster = startCluster(2);
        PreviewJobs hub = cluster.getFirst();
        PreviewNode node = startNode(cluster.get(1), 1L << 30);
        UUID hubMember = members.getFirst().getCluster().getLocalMember().getUuid();
        IMap<Object, Object> records = hub.hazelcast().getMap(InferenceNodes.NODES);
        // A huge device claimed for the hub's member under another member's name, one for a member that is not in
        // the cluster, and a value that is no node record at all under the hub's own key.
        UUID stranger = UUID.randomUUID();
        records.set(stranger, new NodeStatus(stranger, "127.0.0.1:1", "cpu", "forged", Long.MAX_VALUE, List.of()));
        records.set(hubMember, "not a node");
        assertEquals(List.of(node.status()), hub.nodes().live());
        records.set(hubMember, new NodeStatus(stranger, "127.0.0.1:1", "cpu", "forged", Long.MAX_VALUE, List.of()));
        assertEquals(List.of(node.status()), hub.nodes().live());
        assertEquals(1L << 30, hub.nodes().largestDevice().orElseThrow());
    }

    /** The files of the models {@code node} reports loaded to the cluster (least recently used first). */
    private static List<List<String>> loaded(PreviewJobs jobs, PreviewNode node) {
        NodeStatus reported = jobs.nodes().live().stream().filter(n -> n.address().equals(node.address()))
                .findFirst().orElseThrow();
        assertEquals(node.status(), reported, "the cluster has what the node holds");
        return reported.loaded().stream().map(NodeStatus.Loaded::files).toList();
    }

    /** Polls until {@code n} nodes are live (a hang guard bounds it, not a timing assertion). */
    private static List<NodeStatus> awaitNodes(PreviewJobs jobs, int n) throws InterruptedException {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (Instant.now().isBefore(deadline)) {
            List<NodeStatus> live = jobs.nodes().live();
            if (live.size() == n) return live;
            Thread.sleep(20);
        }
        throw new AssertionError("never " + n + " nodes: " + jobs.nodes().live());
    }

    /** The device memory a preview of {@code model} with the demo VAE needs (no text encoders: a conditioning set). */
    private static long need(String model) {
        return DeviceMemory.forWeights(size(model) + size(vae));
    }

    private static long size(String digest) {
        return storage.blobs().stat(Digest.parse(digest)).orElseThrow().size();
    }

    /** A preview of {@code model} alone (no reference) that carries its files' sizes, as the hub asks for one. */
    private static PreviewRequest sized(String quant, String model, long seed) {
        return new PreviewRequest("demo/flux-demo", commit, quant, model, null, vae, "random-a", conditioning, seed, 1,
                16, 16, null, Map.of(), new PreviewRequest.Sizes(size(model), 0, size(vae), 0));
    }

    private static String address(HazelcastInstance member) {
        var a = member.getCluster().getLocalMember().getAddress();
        return a.getHost() + ":" + a.getPort();
    }

    private void awaitNoMigrations() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!members.stream().allMatch(m -> m.getPartitionService().isClusterSafe())) {
            if (System.nanoTime() > deadline) throw new AssertionError("partitions still migrating after 60 s");
            Thread.sleep(20);
        }
    }

    /** Queries run on the previews map, and those an index answered, summed over the members. */
    private long[] queryCounts() {
        long queries = 0;
        long indexed = 0;
        for (HazelcastInstance member : members) {
            LocalMapStats stats = member.getMap(PreviewJobs.JOBS).getLocalMapStats();
            queries += stats.getQueryCount();
            indexed += stats.getIndexedQueryCount();
        }
        return new long[] {queries, indexed};
    }

    private static void assertFailedWithOneLine(PreviewJob job) {
        assertEquals(PreviewJob.State.FAILED, job.state(), job.toString());
        assertFalse(job.reason().isBlank(), job.toString());
        assertFalse(job.reason().contains("\n") || job.reason().contains("\r"), job.reason());
        assertEquals(null, job.result());
        assertEquals(null, job.owner());
    }

    // ---- the cluster ---------------------------------------------------------------------------------------------

    /** Starts {@code n} members of a fresh cluster, each with its preview jobs (no nodes yet). */
    private List<PreviewJobs> startCluster(int n) throws IOException {
        String name = "previews-" + UUID.randomUUID();
        List<String> addresses = freePorts(n).stream().map(p -> "127.0.0.1:" + p).toList();
        for (String address : addresses) {
            HazelcastInstance member = ClusterMember.start(name, addresses,
                    Integer.parseInt(address.substring(address.indexOf(':') + 1)));
            members.add(member);
            services.add(new PreviewJobs(member));
        }
        return List.copyOf(services);
    }

    private PreviewNode startNode(PreviewJobs jobs) {
        return startNode(jobs, null);
    }

    /** A node that schedules by {@code deviceMemory} bytes ({@code --device-memory}; null: the CPU backend's). */
    private PreviewNode startNode(PreviewJobs jobs, Long deviceMemory) {
        Path cache = dir.resolve("cache-" + UUID.randomUUID());
        PreviewNode node = PreviewNode.start(jobs, storage, cache, 1L << 30, java.util.Map.of(), CpuBackend::new,
                deviceMemory);
        nodes.add(node);
        return node;
    }

    private static List<Integer> freePorts(int n) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket s : sockets) s.close();
        }
    }

    /** Polls the job until a node has finished at least one sampler step of it (and so is mid-render). */
    private static PreviewJob awaitMidRender(PreviewJobs jobs, String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (Instant.now().isBefore(deadline)) {
            PreviewJob job = jobs.find(id).orElseThrow();
            if (job.finished()) fail("the job finished before it could be interrupted: " + job);
            if (job.state() == PreviewJob.State.RUNNING && job.step() >= 1) return job;
            Thread.sleep(5);
        }
        throw new AssertionError("no node started rendering " + id);
    }

    /**
     * What happened to the jobs, from the map's update events (delivered in order per key): the node of each claim
     * (a job newly RUNNING on a member) and each finished state, by job id.
     */
    private record Journal(Map<String, List<String>> claimed, Map<String, List<PreviewJob>> finished)
            implements EntryUpdatedListener<String, PreviewJob> {
        static Journal of(PreviewJobs jobs) {
            Journal journal = new Journal(new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
            jobs.hazelcast().<String, PreviewJob>getMap(PreviewJobs.JOBS).addEntryListener(journal, true);
            return journal;
        }

        @Override
        public void entryUpdated(EntryEvent<String, PreviewJob> event) {
            PreviewJob before = event.getOldValue();
            PreviewJob after = event.getValue();
            if (after.state() == PreviewJob.State.RUNNING && !Objects.equals(before.owner(), after.owner())) {
                claimed.computeIfAbsent(after.id(), k -> new CopyOnWriteArrayList<>()).add(after.node());
            }
            if (!before.finished() && after.finished()) {
                finished.computeIfAbsent(after.id(), k -> new CopyOnWriteArrayList<>()).add(after);
                synchronized (this) {
                    notifyAll();
                }
            }
        }

        List<String> claims(String id) {
            return List.copyOf(claimed.getOrDefault(id, List.of()));
        }

        /** The job as it was when it finished for the {@code nth} time. */
        synchronized PreviewJob awaitFinished(String id, int nth) throws InterruptedException {
            Instant deadline = Instant.now().plus(PATIENCE);
            while (finished.getOrDefault(id, List.of()).size() < nth) {
                long left = Duration.between(Instant.now(), deadline).toMillis();
                if (left <= 0) throw new AssertionError(id + " did not finish " + nth + " time(s): " + this);
                wait(left);
            }
            return finished.get(id).get(nth - 1);
        }

        @Override
        public String toString() {
            return "claims " + claimed + ", finished " + finished.entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().toString()));
        }
    }

    // ---- the model -----------------------------------------------------------------------------------------------

    private static PreviewRequest request(String quant, String model, String sourceModel, long seed, int steps,
                                          int width, int height) {
        return new PreviewRequest("demo/flux-demo", commit, quant, model, sourceModel, vae, "random-a",
                conditioning, seed, steps, width, height);
    }

    /** The PNG an inference node stores for {@code request}, rendered here from the local files in one go. */
    private static byte[] uninterruptedRender(PreviewRequest request) throws IOException {
        try (FluxPipeline pipeline = FluxPipeline.open(demo.resolve(DemoModel.MODEL_FILE),
                demo.resolve(DemoModel.VAE_FILE), new CpuBackend())) {
            Conditioning cond = Conditioning.readSafetensors(demo.resolve(DemoModel.conditioningPath("random-a")));
            byte[] rgb = pipeline.generate(cond, new GenerationParams(request.seed(), request.steps(),
                    request.width(), request.height(), PreviewRequest.GUIDANCE), StepListener.NONE).image()
                    .toRgbBytes();
            return Png.encodeRgb(request.width(), request.height(), rgb);
        }
    }

    private static String push(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return storage.blobs().put(in, Files.size(file)).digest().toString();
        }
    }

    /** A copy of {@code original} with one more byte at the end (another blob, another digest), pushed. */
    private static String push(Path copy, Path original) throws IOException {
        byte[] bytes = Files.readAllBytes(original);
        Files.write(copy, java.util.Arrays.copyOf(bytes, bytes.length + 1));
        return push(copy);
    }

    private static String push(SafetensorsWriter writer, String name) throws IOException {
        Path file = dir.resolve(name);
        writer.write(file);
        return push(file);
    }

    private static byte[] read(String digest) throws IOException {
        try (InputStream in = storage.blobs().open(Digest.parse(digest))) {
            return in.readAllBytes();
        }
    }
}
