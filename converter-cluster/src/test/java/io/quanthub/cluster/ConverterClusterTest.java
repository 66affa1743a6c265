package io.quanthub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import io.quanthub.gguf.ByteRanges;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.safetensors.SafetensorsHeader;
import io.quanthub.gguf.safetensors.SafetensorsTensor;
import io.quanthub.gguf.synthetic.SyntheticModel;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Digest;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.StorageOptions;
import io.quanthub.storage.Variant;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Hazelcast members (three in this JVM, on loopback) converting real models against a real S3 server
 * (S3Proxy on a temporary folder); every output is compared byte for byte with the single-process converter.
 */
class ConverterClusterTest {
    private static final String VERSION = "test-1";
    private static final int PART = StorageOptions.MIN_PART_SIZE;
    private static final Duration PATIENCE = Duration.ofSeconds(60); // a hang guard, not a timing assertion
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
    void stopMembers() {
        services.forEach(JobService::close);
        members.forEach(m -> m.getLifecycleService().terminate());
    }

    @Test
    void membersConvertFluxTinyAndALargerModelExactlyLikeTheConverter() throws Exception {
        startCluster(3, JobService.TaskObserver.NONE).forEach(JobService::start);
        Variant.Key tiny = key(push(FLUX_TINY), QuantLevel.Q4_K_S);
        Variant.Key large = key(push(synthetic), QuantLevel.Q8_0);

        services.get(0).request(tiny, provenance());
        services.get(1).request(large, provenance());

        assertOutputMatchesConverter(tiny, FLUX_TINY, await(services.get(2), tiny));
        Job done = await(services.get(2), large);
        assertTrue(done.partsTotal() >= 3, "expected several parts, got " + done.partsTotal());
        assertOutputMatchesConverter(large, synthetic, done);
        assertEquals(List.of(), storage.staged().pending(""));
    }

    @Test
    void requestsForOneVariantFromEveryMemberMakeOneJobAndOneConversion() throws Exception {
        startCluster(3, JobService.TaskObserver.NONE).forEach(JobService::start);
        Variant.Key key = key(push(synthetic), QuantLevel.Q4_0);

        ExecutorService callers = Executors.newFixedThreadPool(6);
        List<Future<Job>> answers = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            JobService service = services.get(i % 3);
            answers.add(callers.submit(() -> service.request(key, provenance())));
        }
        Set<String> runIds = answers.stream().map(ConverterClusterTest::get).map(Job::runId)
                .collect(Collectors.toSet());
        callers.shutdown();
        assertEquals(1, runIds.size(), "one job for all requests: " + runIds);

        Job done = await(services.get(0), key);
        assertEquals(runIds, Set.of(done.runId()));
        assertEquals(1, services.stream().mapToLong(s -> s.tasksRun(Task.Kind.PLAN)).sum(), "conversions planned");
        assertEquals(1, services.stream().mapToLong(s -> s.tasksRun(Task.Kind.FINISH)).sum(), "conversions finished");
        assertEquals(done.partsTotal(), services.stream().mapToLong(s -> s.tasksRun(Task.Kind.PART)).sum());
        assertOutputMatchesConverter(key, synthetic, done);

        // Asked again, from any member, it is done at once.
        assertEquals(Job.Status.DONE, services.get(2).request(key, provenance()).status());
        assertEquals(List.of(), storage.staged().pending(""));
    }

    @Test
    void aVariantAlreadyInStorageIsDoneWithoutAJob() throws Exception {
        startCluster(1, JobService.TaskObserver.NONE).forEach(JobService::start);
        Digest source = push(FLUX_TINY);
        Blob ready = storage.blobs().put(new java.io.ByteArrayInputStream(new byte[] {'G', 'G', 'U', 'F'}), 4);
        Variant.Key key = key(source, QuantLevel.Q8_0);
        storage.variants().registerVariant(key, ready, 8.5, provenance());

        Job job = services.get(0).request(key, provenance());

        assertEquals(Job.Status.DONE, job.status());
        assertEquals(ready.digest().toString(), job.output());
        assertTrue(services.get(0).job(key).isEmpty(), "no job was created");
    }

    @Test
    void aMemberKilledWhileHoldingAPartLeavesTheOthersToFinishWithIdenticalBytes() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        AtomicBoolean heldOne = new AtomicBoolean();
        List<JobService> cluster = startCluster(3, task -> {
            if (task.kind() == Task.Kind.PART && heldOne.compareAndSet(false, true)) {
                holding.countDown();
                new CountDownLatch(1).await(); // holds the task until the member is killed and its worker stopped
            }
        });
        Variant.Key key = key(push(synthetic), QuantLevel.Q5_0); // a variant no other test makes
        JobService victim = cluster.get(2);
        victim.start(); // alone at first, so it is the one that claims a part
        cluster.get(0).request(key, provenance());
        assertTrue(holding.await(PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS), "victim claimed a part");

        members.get(2).getLifecycleService().terminate();
        victim.close();
        cluster.get(0).start();
        cluster.get(1).start();

        Job done = await(cluster.get(0), key);
        assertOutputMatchesConverter(key, synthetic, done);
        assertEquals(List.of(), storage.staged().pending(""));
    }

    @Test
    void aFailingConversionAbortsItsUploadAndMarksTheVariantFailed() throws Exception {
        startCluster(2, JobService.TaskObserver.NONE).forEach(JobService::start);
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
        assertEquals(Job.Status.FAILED, failed.status());
        assertTrue(failed.reason().contains("single_blocks.0.linear1.weight") && failed.reason().contains("NaN"),
                failed.reason());
        Variant variant = storage.variants().get(key).orElseThrow();
        assertEquals(Variant.Status.FAILED, variant.status());
        assertEquals(failed.reason(), variant.error());
        assertEquals(List.of(), storage.staged().pending(""));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** Starts {@code n} members of a fresh cluster and a (not yet started) job service on each. */
    private List<JobService> startCluster(int n, JobService.TaskObserver observer) throws IOException {
        String name = "test-" + UUID.randomUUID();
        List<Integer> ports = freePorts(n);
        List<String> addresses = ports.stream().map(p -> "127.0.0.1:" + p).toList();
        for (int port : ports) members.add(ClusterMember.start(name, addresses, port));
        for (HazelcastInstance member : members) {
            services.add(new JobService(member, storage, new JobService.Options(VERSION, PART, 1), observer));
        }
        return List.copyOf(services);
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

    private void assertOutputMatchesConverter(Variant.Key key, Path source, Job done) throws IOException {
        assertEquals(Job.Status.DONE, done.status(), () -> "job " + done);
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
