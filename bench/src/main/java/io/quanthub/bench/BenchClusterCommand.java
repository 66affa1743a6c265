package io.quanthub.bench;

import com.hazelcast.core.HazelcastInstance;
import io.quanthub.cli.QuantHubCli;
import io.quanthub.cluster.ClusterMember;
import io.quanthub.cluster.JobService;
import io.quanthub.cluster.JobView;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.synthetic.FluxShape;
import io.quanthub.gguf.synthetic.SyntheticModel;
import io.quanthub.storage.Digest;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.S3SettingsFile;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.Variant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.quanthub.bench.BenchSupport.requireSpace;
import static io.quanthub.bench.BenchSupport.seconds;

/**
 * {@code quanthub bench cluster}: one conversion split across 1, 2, 3... converter member processes, against the
 * single-process converter on the same file in the same run. The benchmark process runs the embedded S3 server
 * and a coordinating cluster member that accepts the request but runs no task; each round starts fresh
 * {@code quanthub converter} processes (JVMs of their own, as on separate machines) that join it, converts the same
 * source under a converter version of its own (so no round is answered from an earlier one's result), checks that
 * the output's digest equals the single-process file's, and stops them.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Benchmark a conversion split across N converter member processes against the single-process "
                + "converter: generates a Flux-shaped BF16 model, converts it once in-process, then with each member "
                + "count; prints seconds, output MB/s, speed-up over one member and ratio to the single process. "
                + "MB = 10^6 bytes."})
public final class BenchClusterCommand implements Callable<Integer> {
    private static final long SEED = 20240801;
    /** Heap of each member process. */
    private static final String MEMBER_HEAP = "-Xmx1g";

    @Option(names = "--size-mb", defaultValue = "1024", paramLabel = "MIB",
            description = "Size of the generated model in MiB (at least; default: ${DEFAULT-VALUE}).")
    long sizeMiB;

    @Option(names = {"-q", "--quant"}, defaultValue = "Q4_K_M", paramLabel = "TYPE",
            description = "Level to convert to (default: ${DEFAULT-VALUE}).")
    String quant;

    @Option(names = "--members", split = ",", defaultValue = "1,2,3", paramLabel = "N",
            description = "Member process counts, comma-separated (default: ${DEFAULT-VALUE}).")
    List<Integer> memberCounts;

    @Option(names = "--workers", defaultValue = "1", paramLabel = "N",
            description = "Task threads per member process (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads of the single-process reference (default: every core).")
    Integer referenceThreads;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Where to make the folder for the model, the S3 data and the member logs (default: the "
                    + "temporary directory); the folder is deleted afterwards.")
    Path dir;

    @Spec
    CommandSpec spec;

    /** One timed conversion. */
    record Row(String what, double seconds, long outputBytes) {
        double outputMBps() {
            return outputBytes / 1e6 / seconds;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = spec.commandLine().getErr();
        if (sizeMiB < 1) throw new IllegalArgumentException("--size-mb must be at least 1, not " + sizeMiB);
        if (workers < 1) throw new IllegalArgumentException("--workers must be at least 1, not " + workers);
        for (int n : memberCounts) {
            if (n < 1) throw new IllegalArgumentException("--members counts must be at least 1, not " + n);
        }
        QuantLevel level = QuantLevel.parse(quant);
        int threads = referenceThreads != null ? referenceThreads : Runtime.getRuntime().availableProcessors();
        double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        Path parent = dir == null ? Path.of(System.getProperty("java.io.tmpdir")) : Files.createDirectories(dir);
        Path work = Files.createTempDirectory(parent, "quanthub-bench-cluster-");
        try {
            FluxShape shape = FluxShape.forDataBytes(sizeMiB << 20, Dtype.BF16);
            requireSpace(work, 3 * shape.dataBytes(Dtype.BF16), "the model, its copy in S3 and the outputs");
            Path model = work.resolve("bench-flux.safetensors");
            log.printf(Locale.ROOT, "generating %s in %s...%n", shape.description(), work);
            log.flush();
            SyntheticModel.write(model, shape.tensors(Dtype.BF16), SEED);
            long sourceBytes = Files.size(model);

            log.printf(Locale.ROOT, "reference: converting to %s in this process with %d threads...%n", level,
                    threads);
            log.flush();
            Path referenceOutput = work.resolve("reference.gguf");
            long t0 = System.nanoTime();
            new Converter(threads, true).convert(model, level, referenceOutput, Converter.ProgressListener.NONE);
            Row reference = new Row("single process, " + threads + " threads", seconds(t0),
                    Files.size(referenceOutput));
            Digest referenceDigest = digestOf(referenceOutput);
            Files.delete(referenceOutput);

            List<Row> rows = new ArrayList<>();
            try (EmbeddedS3 s3 = EmbeddedS3.start(work.resolve("s3"));
                 HubStorage storage = HubStorage.open(s3.settings("bench"))) {
                Digest source;
                try (InputStream in = Files.newInputStream(model)) {
                    source = storage.blobs().put(in, sourceBytes).digest();
                }
                // Member processes get the bucket from a file, as on a real machine: the cluster carries no secrets.
                Path s3Config = work.resolve(S3SettingsFile.FILE_NAME);
                S3SettingsFile.write(s3Config, s3.settings("bench"));
                int port = freePort();
                HazelcastInstance coordinator = ClusterMember.start(ClusterMember.DEFAULT_CLUSTER,
                        List.of("127.0.0.1:" + port), port);
                try {
                    for (int n : memberCounts) {
                        rows.add(round(n, coordinator, port, s3Config, storage, source, level, referenceDigest, work,
                                log));
                    }
                } finally {
                    coordinator.shutdown();
                }
            }
            print(out, shape, sourceBytes, level, loadAtStart, reference, rows);
            return 0;
        } finally {
            deleteTree(work);
        }
    }

    /** Starts {@code n} member processes, converts once through them, checks the digest, stops them. */
    private Row round(int n, HazelcastInstance coordinator, int port, Path s3Config, HubStorage storage, Digest source,
                      QuantLevel level, Digest referenceDigest, Path work, PrintWriter log) throws Exception {
        String version = "bench-" + n + "-" + Long.toHexString(System.nanoTime());
        log.printf(Locale.ROOT, "%d member process%s: starting...%n", n, n == 1 ? "" : "es");
        log.flush();
        List<Process> members = new ArrayList<>();
        try {
            for (int i = 1; i <= n; i++) members.add(startMember(port, s3Config, version,
                    work.resolve("member-" + n + "-" + i)));
            awaitMembers(coordinator, n + 1, members);
            // The coordinator accepts the request and runs no task itself (its service is never started).
            try (JobService jobs = new JobService(coordinator, storage, JobService.Options.defaults(version),
                    JobService.TaskObserver.NONE)) {
                Variant.Key key = new Variant.Key(source, level.name(), version);
                log.printf(Locale.ROOT, "%d member process%s: converting...%n", n, n == 1 ? "" : "es");
                log.flush();
                long t0 = System.nanoTime();
                JobView job = jobs.request(key, new Variant.Provenance(RepoName.parse("bench/flux"), "0".repeat(64),
                        "model.safetensors", "quanthub bench cluster", Instant.now()));
                while (!job.finished()) {
                    Thread.sleep(50);
                    job = jobs.find(key).orElseThrow();
                    for (Process p : members) {
                        if (!p.isAlive()) throw new IllegalStateException("a member process exited: see its log in "
                                + work);
                    }
                }
                double elapsed = seconds(t0);
                if (job.state() != JobView.State.DONE) {
                    throw new IllegalStateException("the conversion with " + n + " members failed: " + job.reason());
                }
                if (!Digest.parse(job.outputDigest()).equals(referenceDigest)) {
                    throw new IllegalStateException("the output of " + n + " members (" + job.outputDigest()
                            + ") differs from the single-process output (" + referenceDigest + ")");
                }
                return new Row(n + " member process" + (n == 1 ? "" : "es") + " x " + workers + " worker"
                        + (workers == 1 ? "" : "s"), elapsed, job.bytesTotal());
            }
        } finally {
            // One at a time (SIGTERM: a graceful leave), so each hands its map entries to the others before the next
            // goes: members leaving all at once would lose the entries only they held.
            for (Process p : members) {
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        }
    }

    /** {@code quanthub converter} in a JVM of its own, logging to {@code data}/member.log. */
    private Process startMember(int port, Path s3Config, String version, Path data) throws IOException {
        Files.createDirectories(data);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                MEMBER_HEAP, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), QuantHubCli.class.getName(), "converter",
                "--join", "127.0.0.1:" + port, "--port", "0", "--s3-config", s3Config.toString(),
                "--workers", Integer.toString(workers), "--converter-version", version);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(data.resolve("member.log").toFile()).start();
    }

    /** Waits until the cluster has {@code size} members (the coordinator and every process). */
    private static void awaitMembers(HazelcastInstance coordinator, int size, List<Process> members)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (coordinator.getCluster().getMembers().size() < size) {
            for (Process p : members) {
                if (!p.isAlive()) throw new IllegalStateException("a member process exited before joining");
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("member processes did not join");
            Thread.sleep(100);
        }
    }

    private static void print(PrintWriter out, FluxShape shape, long sourceBytes, QuantLevel level,
                              double loadAtStart, Row reference, List<Row> rows) {
        out.printf(Locale.ROOT, "source: synthetic %s, BF16, %.1f MB; converted to %s%n", shape.description(),
                sourceBytes / 1e6, level);
        out.println(BenchSupport.machineLine(loadAtStart));
        out.println("every output's digest equals the single-process converter's");
        out.println();
        double oneMember = rows.stream().filter(r -> r.what().startsWith("1 member")).mapToDouble(Row::seconds)
                .findFirst().orElse(Double.NaN);
        out.printf(Locale.ROOT, "%-34s %9s %12s %16s %16s%n", "run", "seconds", "output MB/s", "speed-up vs 1",
                "vs single proc");
        out.printf(Locale.ROOT, "%-34s %9.2f %12.1f %16s %16s%n", reference.what(), reference.seconds(),
                reference.outputMBps(), "", "1.00");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-34s %9.2f %12.1f %16s %16.2f%n", r.what(), r.seconds(), r.outputMBps(),
                    Double.isNaN(oneMember) ? "" : String.format(Locale.ROOT, "%.2f", oneMember / r.seconds()),
                    reference.seconds() / r.seconds());
        }
        out.flush();
    }

    private static Digest digestOf(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            java.security.MessageDigest sha256 = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0; ) sha256.update(buffer, 0, n);
            return new Digest(java.util.HexFormat.of().formatHex(sha256.digest()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
