package io.quanthub.bench;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.errors.MinioException;
import io.quanthub.cli.PageCache;
import io.quanthub.cli.cache.HubCache;
import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.ModelRef;
import io.quanthub.cli.hub.Sha256;
import io.quanthub.cli.pull.Downloader;
import io.quanthub.cli.pull.Puller;
import io.quanthub.hub.HubConfig;
import io.quanthub.hub.HubServer;
import io.quanthub.hub.api.RepoFile;
import io.quanthub.storage.BlobStore;
import io.quanthub.storage.Digest;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.S3Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static io.quanthub.bench.BenchSupport.median;
import static io.quanthub.bench.BenchSupport.requireSpace;
import static io.quanthub.bench.BenchSupport.seconds;

/**
 * {@code quanthub bench pull}: how much of the storage's speed a pull over the hub keeps. One run starts a real hub
 * on an embedded S3 server (S3Proxy, filesystem backend) under a temporary folder, pushes a file of random bytes
 * through the hub's upload API, then alternates two timed downloads of that file, each into a new file:
 * <ul>
 * <li><b>direct</b>: one GET of the blob's object straight from the S3 server with the MinIO client, streamed to a
 *     file, hashed on the way and forced to disk: the same work a pull does, without the hub in between;
 * <li><b>pull</b>: {@link Puller} and {@link Downloader} (what {@code quanthub pull} runs) over the hub into an
 *     empty cache: ranged GETs in parallel, each part forced to disk, the whole file checked against its sha256.
 * </ul>
 * pull/direct near 1 means the hub passes the storage's speed on; the goal is at least 0.90.
 *
 * <p>The stored object has just been written, so S3Proxy normally reads it from the page cache: both sides then
 * measure memory and loopback speed, not a disk or a network. The report says how much of it was cached.
 */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Benchmark 'pull' over the hub against reading the same object straight from S3: starts a "
                + "hub with an embedded S3 server, pushes a file of random bytes, then alternates a direct S3 GET "
                + "(MinIO client, to a file, hashed, fsync) and a pull into an empty cache; prints MB/s of both and "
                + "pull/direct (goal >= 0.90). MB = 10^6 bytes."})
public final class BenchPullCommand implements Callable<Integer> {
    private static final String REPO = "bench/pull";
    private static final String FILE_NAME = "random.bin";
    /** Every run pushes the same bytes. */
    private static final long SEED = 20240801;
    private static final int BUFFER_BYTES = 1 << 20;
    private static final double GOAL = 0.90;

    @Option(names = "--size-mb", defaultValue = "1024", paramLabel = "MIB",
            description = "Size of the pushed file in MiB (default: ${DEFAULT-VALUE}).")
    long sizeMiB;

    @Option(names = "--connections", defaultValue = "4", paramLabel = "N",
            description = "Parallel connections of the pull, as 'quanthub pull --connections' (default: "
                    + "${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--rounds", defaultValue = "3", paramLabel = "N",
            description = "Rounds of direct read and pull (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Where the hub's storage, the downloads and the caches go, in a new folder that is deleted "
                    + "afterwards (default: the temporary directory).")
    Path dir;

    @Spec
    CommandSpec spec;

    /** The seconds each side took in one round. */
    record Round(double direct, double pull) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = spec.commandLine().getErr();
        if (sizeMiB < 1) throw new IllegalArgumentException("--size-mb must be at least 1, not " + sizeMiB);
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be at least 1, not " + rounds);
        Downloader.Settings pullSettings = Downloader.Settings.defaults(connections); // checks --connections
        long size = sizeMiB << 20;

        double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        Path base = dir != null ? Files.createDirectories(dir) : Path.of(System.getProperty("java.io.tmpdir"));
        // The source and the stored object (a multipart upload briefly needs its parts and the whole), then two
        // downloads per round and the warm-up round: every download is kept until the end, so that each one writes
        // new disk blocks (see below).
        requireSpace(base, (3 + 2L * (rounds + 1)) * size, "the stored file and two downloads per round");
        Path work = Files.createTempDirectory(base, "quanthub-bench-pull-");
        Thread cleanupOnExit = new Thread(() -> deleteTree(work), "quanthub-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        try (EmbeddedS3 s3 = EmbeddedS3.start(work.resolve("s3"));
             HubServer hub = HubServer.start(HubConfig.defaults(work.resolve("hub")).withPort(0)
                     .withS3(s3.settings(S3Settings.DEFAULT_BUCKET)))) {
            String token = Files.readString(hub.adminTokenFile()).strip();

            log.printf(Locale.ROOT, "generating %d MiB of random bytes in %s...%n", sizeMiB, work);
            log.flush();
            Path source = work.resolve(FILE_NAME);
            String sha256 = writeRandom(source, size);
            log.println("pushing it to the hub...");
            log.flush();
            long pushStart = System.nanoTime();
            push(hub.url(), token, source, size, sha256);
            double pushSeconds = seconds(pushStart);
            Files.delete(source);

            String key = BlobStore.key(new Digest(sha256));
            // The filesystem backend keeps an object as the file <bucket>/<key> under its data folder.
            Path stored = work.resolve("s3").resolve(S3Settings.DEFAULT_BUCKET).resolve(key);
            OptionalDouble cached = Files.isRegularFile(stored) ? PageCache.residentFraction(stored)
                    : OptionalDouble.empty();

            List<Round> results = new ArrayList<>();
            try (Direct direct = new Direct(s3, key)) {
                // Round 0 is not counted: it warms up the JIT, and its writes take the disk blocks that the upload's
                // temporary files freed (on thin-provisioned disks rewriting just-freed blocks is several times
                // faster than writing new ones, which would favour whichever side wrote first).
                for (int r = 0; r <= rounds; r++) {
                    log.printf(Locale.ROOT, "%s: direct S3 read, then pull over the hub...%n",
                            r == 0 ? "warm-up round" : "round " + r + " of " + rounds);
                    log.flush();
                    double directSeconds = direct.download(work.resolve("direct-" + r + ".bin"), size, sha256);
                    double pullSeconds = timePull(hub.url(), token, pullSettings, work.resolve("cache-" + r), sha256);
                    if (r > 0) results.add(new Round(directSeconds, pullSeconds));
                }
            }
            printReport(out, size, sha256, key, pushSeconds, loadAtStart, cached, pullSettings, results);
            return 0;
        } finally {
            deleteTree(work);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            } catch (IllegalStateException shuttingDown) {
                // The hook runs anyway; the folder is already gone.
            }
        }
    }

    /** Writes {@code size} random (incompressible) bytes in 1 MiB writes; returns their sha256. */
    private static String writeRandom(Path file, long size) throws IOException {
        SplittableRandom random = new SplittableRandom(SEED);
        MessageDigest sha = Sha256.newDigest();
        byte[] chunk = new byte[BUFFER_BYTES];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long written = 0; written < size; ) {
                int n = (int) Math.min(chunk.length, size - written);
                random.nextBytes(chunk);
                sha.update(chunk, 0, n);
                writeFully(ch, chunk, n);
                written += n;
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Creates the repository and commits the file to it through the hub's API, as {@code quanthub push} does. */
    private static void push(URI hubUrl, String token, Path file, long size, String sha256) throws IOException {
        try (HttpClient http = HubClient.newHttpClient()) {
            HubClient client = new HubClient(hubUrl.toString(), token, http);
            client.createRepo(REPO, false);
            client.upload(REPO, file, sha256, n -> { });
            client.commit(REPO, ModelRef.DEFAULT_REVISION, "benchmark file", null,
                    List.of(new RepoFile(FILE_NAME, size, new Digest(sha256))));
        }
    }

    /**
     * One {@code quanthub pull} of the repository into a new cache, from resolving the reference to the committed
     * snapshot; returns the seconds it took. The Downloader checks the file's sha256 itself.
     */
    private static double timePull(URI hubUrl, String token, Downloader.Settings settings, Path cacheRoot,
                                   String sha256) throws IOException {
        try (HttpClient http = HubClient.newHttpClient()) {
            HubClient client = new HubClient(hubUrl.toString(), token, http);
            Puller puller = new Puller(client, new HubCache(cacheRoot),
                    new Downloader(client.http(), client.authorization(), settings));
            long start = System.nanoTime();
            Puller.Target target = puller.resolve(ModelRef.parse(REPO));
            for (RepoFile f : puller.missing(target)) puller.download(target, f, Downloader.Listener.NONE);
            List<Path> paths = puller.commit(target);
            double elapsed = seconds(start);
            if (paths.size() != 1 || !target.files().getFirst().sha256().equals(sha256)) {
                throw new IOException("the pull fetched " + target.files() + ", not the pushed " + FILE_NAME);
            }
            return elapsed;
        }
    }

    /** The reference: the blob's object read straight from the S3 server with the MinIO client. */
    private static final class Direct implements AutoCloseable {
        private final MinioClient minio;
        private final String key;

        Direct(EmbeddedS3 s3, String key) {
            this.minio = MinioClient.builder().endpoint(s3.endpoint().toString()).region(S3Settings.DEFAULT_REGION)
                    .credentials(s3.accessKey(), s3.secretKey()).build();
            this.key = key;
        }

        /**
         * One GET of the whole object, streamed to {@code file} in 1 MiB writes and hashed on the way, then forced
         * to disk; returns the seconds it took. Fails if the bytes are not the pushed ones.
         */
        double download(Path file, long size, String sha256) throws IOException, MinioException {
            long start = System.nanoTime();
            MessageDigest sha = Sha256.newDigest();
            long total = 0;
            try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket(S3Settings.DEFAULT_BUCKET)
                    .object(key).build());
                 FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                byte[] buffer = new byte[BUFFER_BYTES];
                for (int n; (n = in.read(buffer)) != -1; ) {
                    sha.update(buffer, 0, n);
                    writeFully(ch, buffer, n);
                    total += n;
                }
                ch.force(true);
            }
            double elapsed = seconds(start);
            String actual = HexFormat.of().formatHex(sha.digest());
            if (total != size || !actual.equals(sha256)) {
                throw new IOException("the direct S3 read returned " + total + " bytes with sha256 " + actual
                        + ", not the pushed " + size + " bytes with sha256 " + sha256);
            }
            return elapsed;
        }

        @Override
        public void close() throws Exception {
            minio.close();
        }
    }

    private static void printReport(PrintWriter out, long size, String sha256, String key, double pushSeconds,
                                     double loadAtStart, OptionalDouble cached, Downloader.Settings pull,
                                     List<Round> rounds) {
        out.printf(Locale.ROOT, "file: %.1f MB of random bytes (sha256 %s), pushed through the hub's upload API "
                + "in %.1f s%n", size / 1e6, Sha256.shortHex(sha256), pushSeconds);
        out.println(BenchSupport.machineLine(loadAtStart));
        out.printf(Locale.ROOT, "page cache: %s%n", cached.isPresent()
                ? String.format(Locale.ROOT, "%.0f%% of the stored object was cached before the first round "
                + "(mincore); S3Proxy's filesystem backend reads it from %s; the downloads are forced to disk (fsync); "
                + "an uncounted first round warmed up the JIT",
                100 * cached.getAsDouble(), cached.getAsDouble() > 0.9 ? "memory, not the disk" : "the disk where it "
                        + "is not cached")
                : "unknown on this system (the object was just written, so probably cached)");
        out.printf(Locale.ROOT, "direct: one GET of %s from the S3 server with the MinIO client, to a file in 1 MiB "
                + "writes, hashed on the way, fsync%n", key);
        out.printf(Locale.ROOT, "pull: Puller over the hub into an empty cache, %d connection%s, %d MiB parts, "
                        + "fsync per part, sha256 check of the file%n", pull.connections(),
                pull.connections() == 1 ? "" : "s", pull.partSize() >> 20);
        out.println();
        out.printf(Locale.ROOT, "%-7s %12s %12s %12s%n", "round", "direct MB/s", "pull MB/s", "pull/direct");
        double[] direct = new double[rounds.size()];
        double[] pulled = new double[rounds.size()];
        for (int i = 0; i < rounds.size(); i++) {
            direct[i] = size / 1e6 / rounds.get(i).direct();
            pulled[i] = size / 1e6 / rounds.get(i).pull();
            row(out, Integer.toString(i + 1), direct[i], pulled[i]);
        }
        double bestRatio = row(out, "best", Arrays.stream(direct).max().orElseThrow(),
                Arrays.stream(pulled).max().orElseThrow());
        double medianRatio = row(out, "median", median(direct), median(pulled));
        out.printf(Locale.ROOT, "%ngoal: pull/direct >= %.2f; best %.2f, median %.2f%n", GOAL, bestRatio,
                medianRatio);
        out.flush();
    }

    /** Prints one row of the table; returns its ratio. */
    private static double row(PrintWriter out, String label, double directMBps, double pullMBps) {
        double ratio = pullMBps / directMBps;
        out.printf(Locale.ROOT, "%-7s %12.1f %12.1f %12.2f%n", label, directMBps, pullMBps, ratio);
        return ratio;
    }

    private static void writeFully(FileChannel ch, byte[] bytes, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, length);
        while (buffer.hasRemaining()) ch.write(buffer);
    }

    /** Deletes the benchmark's folder and everything in it (links are deleted, never followed). */
    private static void deleteTree(Path root) {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("quanthub: could not delete " + root + ": " + e.getMessage());
        }
    }
}
