package io.quanthub.cli;

import io.quanthub.cli.cache.HubCache;
import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.ModelRef;
import io.quanthub.cli.pull.DiskSpace;
import io.quanthub.cli.pull.Downloader;
import io.quanthub.cli.pull.Puller;
import io.quanthub.hub.api.HubJob;
import io.quanthub.hub.api.RepoFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/** {@code quanthub pull org/name[@rev][:QUANT]}: downloads a model's files into the local cache. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download a model into the local cache: a named quant's GGUF file, else the repository's "
                + "default level (Q8_0 if available, else the highest-precision GGUF, else every file).",
                "A named quant the hub does not have yet is converted there first from the model's safetensors "
                        + "source, with a progress bar.",
                "Downloads run in parallel parts, resume after an interruption and are verified by sha256."})
public final class PullCommand implements Callable<Integer> {
    @Mixin
    HubOptions hub;

    @Mixin
    CacheOptions cacheOptions;

    @Parameters(index = "0", paramLabel = "MODEL", description = "org/name[@revision][:QUANT]")
    String model;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Also place the files in DIR (hard links to the cache on the same file system, else "
                    + "copies).")
    Path outDir;

    @Option(names = "--dry-run", description = "Print what would be downloaded (files, sizes, destination) and exit.")
    boolean dryRun;

    @Option(names = "--connections", paramLabel = "N", defaultValue = "4",
            description = "Parallel connections per file (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--progress", negatable = true,
            description = "Draw a progress bar (default: only on a terminal; otherwise a line every few seconds).")
    Boolean progress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ModelRef ref = ModelRef.parse(model);
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        HubClient client = hub.connect();
        HubCache cache = cacheOptions.cache();
        Downloader downloader = new Downloader(client.http(), client.authorization(),
                Downloader.Settings.defaults(connections));
        Puller puller = new Puller(client, cache, downloader);

        Puller.Target target = puller.resolve(ref, dryRun ? null : (repo, commit, quant) ->
                produce(client, repo, commit, quant, stderr));
        List<RepoFile> missing = puller.missing(target);
        long remaining = puller.remainingBytes(target, missing);
        stdout.printf(Locale.ROOT, "%s@%s (commit %s)%s: %d file%s, %s%n", ref.repo(), target.revision(),
                target.commit().substring(0, 12), target.quant() == null ? "" : ", quant " + target.quant(),
                target.files().size(), target.files().size() == 1 ? "" : "s", ProgressBar.bytes(target.size()));
        if (dryRun) {
            printPlan(stdout, puller, target, missing, remaining, cache);
            return 0;
        }

        DiskSpace.require(cache.root(), remaining, "pulling " + ref);
        download(stderr, puller, target, missing);
        List<Path> paths = puller.commit(target);
        Set<String> fetched = digests(missing);
        for (int i = 0; i < paths.size(); i++) {
            RepoFile f = target.files().get(i);
            Path shown = paths.get(i);
            String how = fetched.contains(f.sha256()) ? "downloaded" : "cached";
            if (outDir != null) {
                how += Puller.place(paths.get(i), outDir, f.path()) ? ", copied" : ", linked";
                shown = outDir.resolve(f.path());
            }
            stdout.printf(Locale.ROOT, "  %s  %s  (%s)%n", shown, ProgressBar.bytes(f.size()), how);
        }
        stdout.flush();
        return 0;
    }

    /**
     * A named level the hub does not have yet is produced first: the hub's converter cluster makes it from the
     * model's source while a progress bar follows the job; then it downloads like any other.
     */
    private void produce(HubClient client, String repo, String commit, String quant, PrintWriter stderr)
            throws IOException {
        String name = repo + ":" + quant;
        HubJob job = client.produce(repo, commit, quant);
        if (!job.finished()) {
            stderr.println(name + " is not on the hub yet: converting it there (job " + job.id() + ")");
            stderr.flush();
            boolean interactive = progress != null ? progress : ProgressBar.interactiveByDefault();
            AtomicReference<ProgressBar> bar = new AtomicReference<>();
            job = client.follow(job, j -> {
                // The output's size is known once the hub has planned the conversion.
                if (bar.get() == null && j.bytesTotal() > 0) {
                    bar.set(new ProgressBar(stderr, "convert", j.bytesTotal(), interactive));
                }
                if (bar.get() != null) bar.get().update(j.bytesDone(), j.state().id());
            });
            if (bar.get() != null) {
                if (job.state() == HubJob.State.DONE) bar.get().finish(job.bytesTotal(), "converted");
                else bar.get().abandon();
            }
        }
        if (job.state() != HubJob.State.DONE) {
            throw new IOException("the hub could not produce " + name + ": "
                    + (job.reason() != null ? job.reason() : "job " + job.id() + " ended " + job.state().id()));
        }
    }

    private void printPlan(PrintWriter out, Puller puller, Puller.Target target, List<RepoFile> missing,
                           long remaining, HubCache cache) throws IOException {
        TextTable table = new TextTable("FILE", "SIZE", "STATE").alignRight(1);
        Set<String> toFetch = digests(missing);
        for (RepoFile f : target.files()) {
            table.row(f.path(), ProgressBar.bytes(f.size()), toFetch.contains(f.sha256()) ? "to download" : "cached");
        }
        table.print(out, "  ");
        Path snapshot = puller.repoCache(target).snapshotDir(target.commit());
        out.println("destination: " + snapshot
                + (outDir != null ? ", placed in " + outDir.toAbsolutePath() : ""));
        out.printf(Locale.ROOT, "would download %s in %d file%s; %s free in %s%n", ProgressBar.bytes(remaining),
                missing.size(), missing.size() == 1 ? "" : "s", ProgressBar.bytes(DiskSpace.usable(cache.root())),
                cache.root());
        out.flush();
    }

    private static Set<String> digests(List<RepoFile> files) {
        return files.stream().map(RepoFile::sha256).collect(Collectors.toSet());
    }

    private void download(PrintWriter stderr, Puller puller, Puller.Target target, List<RepoFile> missing)
            throws IOException {
        if (missing.isEmpty()) return;
        long total = missing.stream().mapToLong(RepoFile::size).sum();
        boolean interactive = progress != null ? progress : ProgressBar.interactiveByDefault();
        ProgressBar bar = new ProgressBar(stderr, "pull", total, interactive);
        AtomicLong done = new AtomicLong();
        try {
            for (int i = 0; i < missing.size(); i++) {
                RepoFile f = missing.get(i);
                String detail = (missing.size() > 1 ? (i + 1) + "/" + missing.size() + " " : "") + f.path();
                AtomicLong verified = new AtomicLong();
                puller.download(target, f, new Downloader.Listener() {
                    @Override
                    public void received(long bytes) {
                        bar.update(done.addAndGet(bytes), detail);
                    }

                    @Override
                    public void verified(long bytes) {
                        long v = verified.addAndGet(bytes);
                        bar.update(done.get(), "verifying " + f.path() + " " + (100 * v / Math.max(1, f.size()))
                                + "%");
                    }
                });
            }
        } catch (IOException | RuntimeException e) {
            bar.abandon();
            throw e;
        }
        bar.finish(done.get(), missing.size() + (missing.size() == 1 ? " file" : " files") + " verified");
    }
}
