package io.quanthub.bench;

import io.quanthub.cli.TextTable;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Changes;
import io.quanthub.storage.CommitRequest;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.S3Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import static io.quanthub.bench.BenchSupport.median;

/**
 * {@code quanthub bench history}: whether resolving a branch and committing on it stay as fast at thousands of
 * commits as at one. Starts an embedded S3 server (S3Proxy, filesystem backend) under a temporary folder, grows one
 * branch commit by commit through the storage layer (what the hub's commit route calls), and at each requested
 * length measures the median of many resolves of {@code main} (ref to commit object) and of a series of commits.
 * Each figure is also given as a ratio to the first length's; the goal is at most 1.5 at every length.
 */
@Command(name = "history", mixinStandardHelpOptions = true,
        description = {"Benchmark resolve and commit against the length of a branch's history: grows one branch on "
                + "an embedded S3 server to each length of --commits and measures the median resolve of 'main' "
                + "and the median commit there; prints both with their ratio to the first length (goal <= 1.5)."})
public final class BenchHistoryCommand implements Callable<Integer> {
    private static final RepoName REPO = RepoName.parse("bench/history");
    /** A repository that only warms up the JIT and the S3 server, so that the first length is not measured cold. */
    private static final RepoName WARM_UP = RepoName.parse("bench/warm-up");
    private static final double GOAL = 1.5;

    @Option(names = "--commits", split = ",", defaultValue = "1,1000,10000", paramLabel = "N[,N...]",
            description = "Branch lengths to measure at, ascending (default: ${DEFAULT-VALUE}).")
    List<Integer> lengths;

    @Option(names = "--resolves", defaultValue = "200", paramLabel = "N",
            description = "Timed resolves at each length (default: ${DEFAULT-VALUE}).")
    int resolves;

    @Option(names = "--timed-commits", defaultValue = "30", paramLabel = "N",
            description = "Timed commits at each length; they lengthen the branch too (default: ${DEFAULT-VALUE}).")
    int timedCommits;

    @Option(names = "--warm-up", defaultValue = "300", paramLabel = "N",
            description = "Untimed commits and resolves on another repository first (default: ${DEFAULT-VALUE}).")
    int warmUp;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Where the S3 server keeps its data, in a new folder that is deleted afterwards "
                    + "(default: the temporary directory).")
    Path dir;

    @Spec
    CommandSpec spec;

    /** The medians at one branch length, in milliseconds. */
    record Row(int commits, double resolveMs, double commitMs) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = spec.commandLine().getErr();
        if (lengths.isEmpty() || lengths.getFirst() < 1) {
            throw new IllegalArgumentException("--commits must start at 1 or more, not " + lengths);
        }
        for (int i = 1; i < lengths.size(); i++) {
            if (lengths.get(i) <= lengths.get(i - 1)) {
                throw new IllegalArgumentException("--commits must be ascending, not " + lengths);
            }
        }
        if (resolves < 1) throw new IllegalArgumentException("--resolves must be at least 1, not " + resolves);
        if (warmUp < 0) throw new IllegalArgumentException("--warm-up must not be negative, not " + warmUp);
        if (timedCommits < 1) {
            throw new IllegalArgumentException("--timed-commits must be at least 1, not " + timedCommits);
        }
        double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        Path base = dir != null ? Files.createDirectories(dir) : Path.of(System.getProperty("java.io.tmpdir"));
        Path work = Files.createTempDirectory(base, "quanthub-bench-history-");
        Thread cleanupOnExit = new Thread(() -> BenchSupport.deleteTree(work), "quanthub-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        try (EmbeddedS3 s3 = EmbeddedS3.start(work.resolve("s3"));
             HubStorage storage = HubStorage.open(s3.settings(S3Settings.DEFAULT_BUCKET))) {
            storage.repos().create(REPO, "bench");
            byte[] bytes = "weights".getBytes(StandardCharsets.UTF_8);
            Blob blob = storage.blobs().put(new ByteArrayInputStream(bytes), bytes.length);
            Brancher warming = new Brancher(storage, WARM_UP, blob);
            storage.repos().create(WARM_UP, "bench");
            log.printf(Locale.ROOT, "warming up with %d commits and resolves...%n", warmUp);
            log.flush();
            for (int i = 0; i < warmUp; i++) {
                warming.commit();
                storage.repos().resolve(WARM_UP, "main");
            }
            Brancher branch = new Brancher(storage, REPO, blob);
            List<Row> rows = new ArrayList<>();
            for (int length : lengths) {
                long growStart = System.nanoTime();
                int before = branch.length;
                while (branch.length < length) {
                    branch.commit();
                    if (branch.length % 1000 == 0) {
                        log.printf(Locale.ROOT, "%d commits on main...%n", branch.length);
                        log.flush();
                    }
                }
                if (branch.length > before) {
                    log.printf(Locale.ROOT, "grew main to %d commits in %.1f s%n", branch.length,
                            BenchSupport.seconds(growStart));
                    log.flush();
                }
                rows.add(measure(storage, branch));
            }
            printReport(out, loadAtStart, rows);
            return 0;
        } finally {
            BenchSupport.deleteTree(work);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            } catch (IllegalStateException shuttingDown) {
                // The hook runs anyway; the folder is already gone.
            }
        }
    }

    /** Commits on {@code main}, counting them. */
    private static final class Brancher {
        private final HubStorage storage;
        private final RepoName repo;
        private final Blob blob;
        int length;

        Brancher(HubStorage storage, RepoName repo, Blob blob) {
            this.storage = storage;
            this.repo = repo;
            this.blob = blob;
        }

        void commit() {
            // Alternating paths keep the manifest at two files while every commit changes something.
            storage.repos().commit(CommitRequest.onHead(repo, "main",
                    Changes.put("file-" + (length % 2) + ".bin", blob), "bench", "commit " + length));
            length++;
        }
    }

    /** A few untimed warm-up calls, then the timed resolves and commits at the branch's current length. */
    private Row measure(HubStorage storage, Brancher branch) {
        int length = branch.length;
        for (int i = 0; i < 20; i++) storage.repos().resolve(REPO, "main");
        double[] resolveMs = new double[resolves];
        for (int i = 0; i < resolves; i++) {
            long start = System.nanoTime();
            storage.repos().resolve(REPO, "main");
            resolveMs[i] = (System.nanoTime() - start) / 1e6;
        }
        double[] commitMs = new double[timedCommits];
        for (int i = 0; i < timedCommits; i++) {
            long start = System.nanoTime();
            branch.commit();
            commitMs[i] = (System.nanoTime() - start) / 1e6;
        }
        return new Row(length, median(resolveMs), median(commitMs));
    }

    private void printReport(PrintWriter out, double loadAtStart, List<Row> rows) {
        out.println(BenchSupport.machineLine(loadAtStart));
        out.printf(Locale.ROOT, "storage: embedded S3 (S3Proxy, filesystem backend) on 127.0.0.1; medians of %d "
                + "resolves of 'main' (ref to commit object) and %d commits at each branch length%n", resolves,
                timedCommits);
        TextTable table = new TextTable("commits", "resolve p50 ms", "x first", "commit p50 ms", "x first")
                .alignRight(0, 1, 2, 3, 4);
        Row first = rows.getFirst();
        double worst = 0;
        for (Row row : rows) {
            double resolveRatio = row.resolveMs() / first.resolveMs();
            double commitRatio = row.commitMs() / first.commitMs();
            worst = Math.max(worst, Math.max(resolveRatio, commitRatio));
            table.row(Integer.toString(row.commits()), fmt(row.resolveMs()), fmt(resolveRatio), fmt(row.commitMs()),
                    fmt(commitRatio));
        }
        table.print(out, "");
        out.printf(Locale.ROOT, "worst ratio to %d commit%s: %.2f (goal <= %.1f: %s)%n", first.commits(),
                first.commits() == 1 ? "" : "s", worst, GOAL, worst <= GOAL ? "met" : "NOT met");
        out.flush();
    }

    private static String fmt(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }
}
