package io.quanthub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quanthub.gguf.ByteRanges;
import io.quanthub.gguf.convert.ConversionPlan;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.convert.TensorPlan;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsHeader;
import io.quanthub.gguf.safetensors.SafetensorsTensor;
import io.quanthub.gguf.synthetic.SyntheticModel;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Digest;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.StagedUploads;
import io.quanthub.storage.StorageOptions;
import io.quanthub.storage.Variant;
import io.quanthub.storage.VariantQuality;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Hazelcast members (up to three in this JVM, on loopback) converting real models against a real S3 server
 * (S3Proxy on a temporary folder); every output is compared byte for byte with the single-process converter, and
 * every test ends with no staged upload left open.
 */
class ConverterClusterTest {
    private static final String VERSION = "test-1";
    private static final int PART = StorageOptions.MIN_PART_SIZE;
    private static final Duration PATIENCE = Duration.ofSeconds(90); // a hang guard, not a timing assertion
    private static final Path FLUX_TINY = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
            "flux-tiny", "model.safetensors");

    @TempDir
    static Path dir;
    static EmbeddedS3 s3;
    static HubStorage storage;
    /** A Flux-shaped BF16 model of about 24 MB: its Q8_0 output takes three 5 MiB parts. */
    static Path synthetic;

    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<JobService> services = new ArrayList<>();

    @BeforeAll
    static void startStorage() throws IOException {
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        storage = HubStorage.open(s3.settings("cluster"), StorageOptions.defaults().withPartSize(PART));
        synthetic = dir.resolve("synthetic.safetensors");
        SyntheticModel.writeFlux(synthetic, 24_000_000, 7);
    }

    @AfterAll
    static void stopStorage() {
        storage.close();
        s3.close();
    }

    @AfterEach
    void stopMembersAndCheckNoUploadIsLeft() {
        services.forEach(JobService::close);
        members.forEach(m -> m.getLifecycleService().terminate());
        assertEquals(List.of(), storage.staged().pending(""), "multipart uploads left open");
        assertEquals(List.of(), storage.staged().open(), "staged uploads left open");
    }

    @Test
    void membersConvertFluxTinyAndALargerModelExactlyLikeTheConverterAndMeasureQuality() throws Exception {
        startCluster(3, options()).forEach(JobService::start);
        Variant.Key tiny = key(push(FLUX_TINY), QuantLevel.Q4_K_S);
        Variant.Key large = key(push(synthetic), QuantLevel.Q8_0);

        services.get(0).request(tiny, provenance());
        services.get(1).request(large, provenance(), Priority.PREFETCH);

        Path tinyOutput = assertOutputMatchesConverter(tiny, FLUX_TINY, await(services.get(2), tiny));
        Job done = await(services.get(2), large);
        assertTrue(done.partsTotal() >= 3, "expected several parts, got " + done.partsTotal());
        Path largeOutput = assertOutputMatchesConverter(large, synthetic, done);

        assertQualityMatchesIndependentComputation(tiny, FLUX_TINY, tinyOutput);
        assertQualityMatchesIndependentComputation(large, synthetic, largeOutput);
    }

    @Test
    void aFloatGgufSourceIsRequantizedLikeTheConverterDoes() throws Exception {
        Path f16 = dir.resolve("flux-tiny-F16.gguf");
        new Converter(1, true).convert(FLUX_TINY, QuantLevel.F16, f16, Converter.ProgressListener.NONE);
        startCluster(2, options()).forEach(JobService::start);
        Variant.Key key = key(push(f16), QuantLevel.Q5_K_S);

        services.get(0).request(key, provenance());

        assertOutputMatchesConverter(key, f16, await(services.get(1), key));
    }

    @Test
    void requestsForOneVariantFromEveryMemberMakeOneJobAndOneConversion() throws Exception {
        startCluster(3, options()).forEach(JobService::start);
        Variant.Key key = key(push(synthetic), QuantLevel.Q4_0);

        ExecutorService callers = Executors.newFixedThreadPool(6);
        List<Future<JobView>> answers = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            JobService service = services.get(i % 3);
            answers.add(callers.submit(() -> service.request(key, provenance())));
        }
        Set<String> ids = answers.stream().map(ConverterClusterTest::get).map(JobView::id)
                .collect(Collectors.toSet());
        Set<String> runIds = services.stream().map(s -> s.job(key).orElseThrow().runId()).collect(Collectors.toSet());
        callers.shutdown();
        assertEquals(Set.of(JobService.jobId(key)), ids, "one job id for all requests");
        assertEquals(1, runIds.size(), "one job run for all requests: " + runIds);

        Job done = await(services.get(0), key);
        assertEquals(runIds, Set.of(done.runId()));
        awaitNoTasks();
        assertEquals(1, services.stream().mapToLong(s -> s.tasksRun(Task.Kind.PLAN)).sum(), "conversions planned");
        assertEquals(1, services.stream().mapToLong(s -> s.tasksRun(Task.Kind.FINISH)).sum(), "conversions finished");
        assertEquals(done.partsTotal(), services.stream().mapToLong(s -> s.tasksRun(Task.Kind.PART)).sum());
        assertOutputMatchesConverter(key, synthetic, done);

        // Asked again, from any member, it is done at once; every member resolves the id to the same view.
        JobView again = services.get(2).request(key, provenance());
        assertEquals(JobView.State.DONE, again.state());
        assertEquals(done.output(), again.outputDigest());
        for (JobService service : services) {
            JobView found = service.find(again.id()).orElseThrow();
            assertEquals(again.outputDigest(), found.outputDigest());
            assertEquals(1.0, found.progress());
            assertEquals(key, found.variantKey());
        }
        assertTrue(services.get(1).jobs().stream().anyMatch(j -> j.id().equals(again.id())), "listed");
        assertTrue(services.get(0).find("not-a-job-id").isEmpty());
    }

    @Test
    void aVariantAlreadyInStorageIsDoneWithoutAJob() throws Exception {
        startCluster(1, options()).forEach(JobService::start);
        Digest source = push(FLUX_TINY);
        Blob ready = storage.blobs().put(new java.io.ByteArrayInputStream(new byte[] {'G', 'G', 'U', 'F'}), 4);
        Variant.Key key = key(source, QuantLevel.Q8_0);
        storage.variants().registerVariant(key, ready, 8.5, provenance());

        JobView job = services.get(0).request(key, provenance());

        assertEquals(JobView.State.DONE, job.state());
        assertEquals(ready.digest().toString(), job.outputDigest());
        assertEquals(JobService.jobId(key), job.id());
        assertTrue(services.get(0).job(key).isEmpty(), "no job was created");
        assertEquals(job.outputDigest(), services.get(0).find(job.id()).orElseThrow().outputDigest());
    }

    @Test
    void aMemberKilledWhileHoldingAPartLeavesTheOthersToFinishWithIdenticalBytes() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        AtomicBoolean heldOne = new AtomicBoolean();
        List<JobService> cluster = startCluster(3, options(), task -> {
            if (task.kind() == Task.Kind.PART && heldOne.compareAndSet(false, true)) {
                holding.countDown();
                new CountDownLatch(1).await(); // holds the task until the member is killed and its worker stopped
            }
        });
        Variant.Key key = key(push(synthetic), QuantLevel.Q5_0); // a variant no other test makes
        JobService victim = cluster.get(2);
        victim.start(); // alone at first, so it is the one that claims a part
        cluster.get(0).request(key, provenance());
        assertTrue(holding.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "victim claimed a part");

        members.get(2).getLifecycleService().terminate();
        victim.close();
        cluster.get(0).start();
        cluster.get(1).start();

        Job done = await(cluster.get(0), key);
        assertOutputMatchesConverter(key, synthetic, done);
    }

    @Test
    void aTaskHeldPastItsLeaseIsRunAgainElsewhereWithIdenticalBytes() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        AtomicBoolean heldOne = new AtomicBoolean();
        // The member stays in the cluster but never finishes its first part: only the lease can free the part.
        List<JobService> cluster = startCluster(2, options().withLease(Duration.ofSeconds(2)), task -> {
            if (task.kind() == Task.Kind.PART && heldOne.compareAndSet(false, true)) {
                holding.countDown();
                new CountDownLatch(1).await();
            }
        });
        Variant.Key key = key(push(FLUX_TINY), QuantLevel.Q6_K);
        cluster.get(1).start();
        cluster.get(0).request(key, provenance());
        assertTrue(holding.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "member 1 holds the part");
        cluster.get(0).start();

        Job done = await(cluster.get(0), key);
        assertOutputMatchesConverter(key, FLUX_TINY, done);
        awaitNoTasks();
        assertEquals(1, cluster.get(0).tasksRun(Task.Kind.PART), "member 0 ran the part member 1 held");
        assertEquals(0, cluster.get(1).tasksRun(Task.Kind.PART));
    }

    @Test
    void aTaskThatNeverFinishesFailsItsJobAfterTheLastAttemptWithTheReason() throws Exception {
        // Every claim of the part hangs: each lease expires, until the attempts are used up.
        startCluster(3, options().withLease(Duration.ofSeconds(2)).withMaxAttempts(2), task -> {
            if (task.kind() == Task.Kind.PART) new CountDownLatch(1).await();
        }).forEach(JobService::start);
        Variant.Key key = key(push(FLUX_TINY), QuantLevel.Q5_K_M);

        services.get(0).request(key, provenance());

        Job failed = await(services.get(1), key);
        assertEquals(JobView.State.FAILED, failed.status());
        assertTrue(failed.reason().startsWith("PART 1 of " + key + " failed 2 times; last: its lease of 2 s expired"),
                failed.reason());
        Variant variant = storage.variants().get(key).orElseThrow();
        assertEquals(Variant.Status.FAILED, variant.status());
        assertEquals(failed.reason(), variant.error());
    }

    @Test
    void aFailingConversionAbortsItsUploadAndMarksTheVariantFailed() throws Exception {
        startCluster(2, options()).forEach(JobService::start);
        byte[] model = Files.readAllBytes(FLUX_TINY);
        SafetensorsHeader header = SafetensorsHeader.read("flux-tiny", bytesOf(model), model.length);
        SafetensorsTensor weight = header.tensors().stream()
                .filter(t -> t.name().equals("single_blocks.0.linear1.weight")).findFirst().orElseThrow();
        model[(int) weight.fileOffset()] = (byte) 0xC0; // BF16 NaN, little-endian 0x7FC0
        model[(int) weight.fileOffset() + 1] = 0x7F;
        Path broken = dir.resolve("broken.safetensors");
        Files.write(broken, model);
        Variant.Key key = key(push(broken), QuantLevel.Q8_0);

        services.get(0).request(key, provenance());

        Job failed = await(services.get(1), key);
        assertEquals(JobView.State.FAILED, failed.status());
        assertTrue(failed.reason().contains("single_blocks.0.linear1.weight") && failed.reason().contains("NaN"),
                failed.reason());
        Variant variant = storage.variants().get(key).orElseThrow();
        assertEquals(Variant.Status.FAILED, variant.status());
        assertEquals(failed.reason(), variant.error());
        assertEquals(JobView.State.FAILED, services.get(0).find(JobService.jobId(key)).orElseThrow().state());
    }

    @Test
    void aNaNInATensorKeptInFloatFailsTheJobNamingTheTensorInsteadOfEndingDone() throws Exception {
        startCluster(1, options()).forEach(JobService::start);
        byte[] model = Files.readAllBytes(FLUX_TINY);
        SafetensorsHeader header = SafetensorsHeader.read("flux-tiny", bytesOf(model), model.length);
        // A 1-D tensor (a bias or norm scale) is kept in float, so the converter's own finiteness check on quantized
        // blocks never sees it: only its quality (NaN) tells.
        SafetensorsTensor bias = header.tensors().stream().filter(t -> t.shape().length == 1).findFirst()
                .orElseThrow();
        assertEquals(Dtype.BF16, bias.dtype());
        model[(int) bias.fileOffset()] = (byte) 0xC0; // BF16 NaN, little-endian 0x7FC0
        model[(int) bias.fileOffset() + 1] = 0x7F;
        Path broken = dir.resolve("nan-bias.safetensors");
        Files.write(broken, model);
        Variant.Key key = key(push(broken), QuantLevel.Q8_0);

        services.getFirst().request(key, provenance());

        Job failed = await(services.getFirst(), key);
        assertEquals(JobView.State.FAILED, failed.status(), "a NaN quality must not end done");
        assertTrue(failed.reason().contains("tensor '" + bias.name() + "'") && failed.reason().contains("NaN"),
                failed.reason());
        assertEquals(Variant.Status.FAILED, storage.variants().get(key).orElseThrow().status());
    }

    @Test
    void stagedUploadsLeftByAStoppedClusterAreAbortedAtStart() throws Exception {
        StagedUploads.Upload orphan = storage.staged().start();
        storage.staged().uploadPart(orphan, 1, new byte[PART]);
        Thread.sleep(1_100); // older than the one-second lease below
        assertEquals(1, storage.staged().pending("").size());

        List<JobService> cluster = startCluster(1, options().withLease(Duration.ofSeconds(1)));
        cluster.getFirst().start();

        assertEquals(List.of(), storage.staged().pending(""), "the orphan was aborted");
        Variant.Key key = key(push(FLUX_TINY), QuantLevel.Q4_1);
        cluster.getFirst().request(key, provenance());
        assertOutputMatchesConverter(key, FLUX_TINY, await(cluster.getFirst(), key));
    }

    @Test
    void userRequestsRunBeforePrefetchAndAUserRequestPromotesAPrefetchJob() throws Exception {
        List<Task> order = Collections.synchronizedList(new ArrayList<>());
        JobService member = startCluster(1, options(), order::add).getFirst();
        Digest source = push(synthetic);
        Variant.Key background = key(source, QuantLevel.Q4_K_S);
        Variant.Key wanted = key(source, QuantLevel.Q3_K_S);
        Variant.Key promoted = key(source, QuantLevel.Q2_K);

        assertEquals(Priority.PREFETCH, member.request(background, provenance(), Priority.PREFETCH).priority());
        member.request(promoted, provenance(), Priority.PREFETCH);
        member.request(wanted, provenance());
        assertEquals(Priority.USER, member.request(promoted, provenance()).priority(), "promoted");
        member.start();
        await(member, background);
        await(member, wanted);
        await(member, promoted);

        List<JobId> jobsInOrder = order.stream().map(Task::job).toList();
        int lastUser = Math.max(jobsInOrder.lastIndexOf(JobId.of(wanted)), jobsInOrder.lastIndexOf(JobId.of(promoted)));
        int firstBackground = jobsInOrder.indexOf(JobId.of(background));
        assertTrue(lastUser < firstBackground, "every user task before the prefetch job's: " + order);
    }

    @Test
    void aMemberRunsOnlyAsManyTasksAtOnceAsItsMemoryBudgetAllows() throws Exception {
        Task.Kind part = Task.Kind.PART;
        JobService.TaskObserver slowParts = task -> {
            if (task.kind() == part) Thread.sleep(300); // gives the other workers time to claim parts too
        };
        long onePart = PART + Task.PART_OVERHEAD;
        long tight = Math.max(onePart, Task.PLAN_MEMORY); // fits one part, not two
        JobService constrained = startCluster(1, options().withWorkers(3).withMemoryBudget(tight), slowParts)
                .getFirst().start();
        Variant.Key key = key(push(synthetic), QuantLevel.F16); // five parts
        constrained.request(key, provenance());
        assertOutputMatchesConverter(key, synthetic, await(constrained, key));
        assertTrue(constrained.peakMemoryReserved() <= tight, "peak " + constrained.peakMemoryReserved());
        assertTrue(constrained.peakMemoryReserved() < 2 * onePart, "one part at a time");

        // The same member with room for three parts runs several at once (so the check above can fail).
        stopMembersAndCheckNoUploadIsLeft();
        members.clear();
        services.clear();
        JobService roomy = startCluster(1, options().withWorkers(3).withMemoryBudget(3 * onePart), slowParts)
                .getFirst().start();
        Variant.Key other = key(push(synthetic), QuantLevel.BF16);
        roomy.request(other, provenance());
        await(roomy, other);
        assertTrue(roomy.peakMemoryReserved() > onePart, "peak " + roomy.peakMemoryReserved());
    }

    @Test
    void metricsCountJobsByStateAndTheBytesThisMemberConverted() throws Exception {
        JobService member = startCluster(1, options()).getFirst().start();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ConverterMetrics(member).bindTo(registry);
        List<JobView> changes = Collections.synchronizedList(new ArrayList<>());
        Variant.Key key = key(push(FLUX_TINY), QuantLevel.Q5_1);
        Job done;
        try (AutoCloseable listening = member.onChange(changes::add)) {
            member.request(key, provenance());
            done = await(member, key);
        }

        String scrape = registry.scrape();
        assertTrue(scrape.contains("quanthub_jobs{state=\"done\"} 1.0"), scrape);
        assertTrue(scrape.contains("quanthub_jobs{state=\"queued\"} 0.0"), scrape);
        assertTrue(scrape.contains("quanthub_converted_bytes_total " + (double) done.outputSize()), scrape);
        assertTrue(scrape.contains("quanthub_member_throughput_bytes_per_second "), scrape);
        assertTrue(member.throughput() > 0);
        assertEquals(JobView.State.QUEUED, changes.getFirst().state());
        assertTrue(changes.stream().anyMatch(JobView::finished), "told about the end: " + changes);
        assertFalse(changes.isEmpty());
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static JobService.Options options() {
        return JobService.Options.defaults(VERSION).withPartSize(PART).withWorkers(1);
    }

    private List<JobService> startCluster(int n, JobService.Options options) throws IOException {
        return startCluster(n, options, JobService.TaskObserver.NONE);
    }

    /** Starts {@code n} members of a fresh cluster and a (not yet started) job service on each. */
    private List<JobService> startCluster(int n, JobService.Options options, JobService.TaskObserver observer)
            throws IOException {
        String name = "test-" + UUID.randomUUID();
        List<String> joined = new ArrayList<>();
        for (int i = 0; i < n; i++) members.add(startMember(name, joined));
        for (HazelcastInstance member : members) services.add(new JobService(member, storage, options, observer));
        return List.copyOf(services);
    }

    /**
     * A member on a free port that joins the members started before it ({@code joined}, which it is added to). A port
     * can be taken between choosing and binding it (an earlier member's outgoing connection gets an ephemeral port
     * from the same range): then another is chosen.
     */
    private static HazelcastInstance startMember(String name, List<String> joined) throws IOException {
        for (int attempt = 1; ; attempt++) {
            String address = "127.0.0.1:" + freePorts(1).getFirst();
            List<String> addresses = new ArrayList<>(joined);
            addresses.add(address);
            try {
                HazelcastInstance member = ClusterMember.start(name, addresses,
                        Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
                joined.add(address);
                return member;
            } catch (com.hazelcast.core.HazelcastException e) {
                if (attempt == 3 || !String.valueOf(e.getMessage()).contains("already in use")) throw e;
            }
        }
    }

    private static List<Integer> freePorts(int n) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) sockets.add(new ServerSocket(0));
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket s : sockets) s.close();
        }
    }

    private static Digest push(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return storage.blobs().put(in, Files.size(file)).digest();
        }
    }

    private static Variant.Key key(Digest source, QuantLevel level) {
        return new Variant.Key(source, level.name(), VERSION);
    }

    private static Variant.Provenance provenance() {
        return new Variant.Provenance(RepoName.parse("test/model"), "0".repeat(64), "model.safetensors",
                "quanthub-converter " + VERSION, Instant.parse("2026-01-01T00:00:00Z"));
    }

    /** Polls the job until it has finished. */
    private static Job await(JobService service, Variant.Key key) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            Job job = service.job(key).orElseThrow();
            if (job.finished()) return job;
            Thread.sleep(50);
        }
        throw new AssertionError(key + " did not finish: " + service.job(key).orElseThrow());
    }

    /**
     * Waits until the cluster holds no task. A member counts a task in {@link JobService#tasksRun} after running it and
     * deletes it after that, while the job can read DONE as soon as its finish task has recorded it: only once the
     * task map is empty has every task that ran been counted.
     */
    private void awaitNoTasks() throws InterruptedException {
        IMap<String, Task> tasks = members.getFirst().getMap(JobService.TASKS);
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!tasks.isEmpty()) {
            if (System.nanoTime() > deadline) throw new AssertionError("tasks left in the cluster: " + tasks.keySet());
            Thread.sleep(20);
        }
    }

    /** Checks the output against the single-process converter's file, which it returns. */
    private static Path assertOutputMatchesConverter(Variant.Key key, Path source, Job done) throws IOException {
        assertEquals(JobView.State.DONE, done.status(), () -> "job " + done);
        Path expected = dir.resolve(UUID.randomUUID() + ".gguf");
        new Converter(2, true).convert(source, QuantLevel.parse(key.quant()), expected,
                Converter.ProgressListener.NONE);
        byte[] want = Files.readAllBytes(expected);
        Digest output = Digest.parse(done.output());
        byte[] got;
        try (InputStream in = storage.blobs().open(output)) {
            got = in.readAllBytes();
        }
        assertEquals(want.length, got.length, "output size");
        assertTrue(Arrays.equals(want, got), "output bytes differ from the single-process converter");
        assertEquals(Digest.of(want), output);
        Variant variant = storage.variants().get(key).orElseThrow();
        assertEquals(Variant.Status.AVAILABLE, variant.status());
        assertEquals(new Blob(output, want.length), variant.output());
        return expected;
    }

    /**
     * Recomputes the quality record from scratch: every tensor of the output file dequantized whole and compared
     * with the source tensor's values, then the model's numbers from the summed squares.
     */
    private static void assertQualityMatchesIndependentComputation(Variant.Key key, Path source, Path output)
            throws IOException {
        VariantQuality quality = storage.variants().quality(key).orElseThrow();
        try (ModelSource model = ModelSource.open(source); GgufFile gguf = GgufFile.open(output)) {
            List<TensorPlan> tensors = ConversionPlan.of(model, QuantLevel.parse(key.quant())).tensors();
            assertEquals(tensors.size(), quality.tensors().size());
            double ss = 0, ee = 0, dot = 0, qq = 0;
            long elements = 0;
            for (int i = 0; i < tensors.size(); i++) {
                TensorPlan t = tensors.get(i);
                TensorInfo info = gguf.tensor(t.name());
                int n = Math.toIntExact(t.elementCount());
                float[] s = new float[n];
                t.source().readFloats(0, s, 0, n);
                float[] q = new float[n];
                Quants.of(info.type()).dequantize(gguf.data(info).toArray(ValueLayout.JAVA_BYTE), 0, q, 0, n);
                double tss = 0, tee = 0, tdot = 0, tqq = 0;
                for (int j = 0; j < n; j++) {
                    tss += (double) s[j] * s[j];
                    tee += ((double) q[j] - s[j]) * ((double) q[j] - s[j]);
                    tdot += (double) q[j] * s[j];
                    tqq += (double) q[j] * q[j];
                }
                VariantQuality.TensorQuality row = quality.tensors().get(i);
                assertEquals(t.name(), row.name());
                assertEquals(info.type().name(), row.type());
                assertEquals(n, row.elements());
                double rmse = tee == 0 ? 0 : Math.sqrt(tee / tss);
                double cosine = tss == 0 && tqq == 0 ? 1 : tdot / Math.sqrt(tss * tqq);
                assertEquals(rmse, row.relativeRmse(), 1e-9 * Math.max(1, rmse), t.name());
                assertEquals(cosine, row.cosine(), 1e-9, t.name());
                ss += tss;
                ee += tee;
                dot += tdot;
                qq += tqq;
                elements += n;
            }
            assertEquals(elements, quality.elements());
            assertEquals(Math.sqrt(ee / ss), quality.relativeRmse(), 1e-9);
            assertEquals(dot / Math.sqrt(ss * qq), quality.cosine(), 1e-9);
            assertTrue(quality.relativeRmse() > 0 && quality.cosine() < 1, "a lossy quant has some error");
            assertEquals(Files.size(output), quality.sizeBytes());
            assertEquals(storage.variants().get(key).orElseThrow().bitsPerWeight(), quality.bitsPerWeight());
        }
    }

    private static ByteRanges bytesOf(byte[] file) {
        return (offset, length) -> Arrays.copyOfRange(file, (int) offset, (int) offset + length);
    }

    private static <T> T get(Future<T> future) {
        try {
            return future.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
