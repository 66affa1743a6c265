package io.quanthub.cli;

import io.quanthub.cli.cache.HubCache;
import io.quanthub.cli.cache.RepoCache;
import io.quanthub.cli.hub.ModelRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code quanthub cache ls|rm|prune}: look at and clean the local model cache. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = "Inspect and clean the local model cache.",
        subcommands = {CacheCommand.Ls.class, CacheCommand.Rm.class, CacheCommand.Prune.class})
public final class CacheCommand implements Runnable {
    /** Partial downloads untouched for this long are removed by prune. */
    static final Duration STALE = Duration.ofDays(1);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "ls", mixinStandardHelpOptions = true,
            description = "List cached repositories with their revisions and sizes.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        CacheOptions cacheOptions;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            HubCache cache = cacheOptions.cache();
            PrintWriter out = spec.commandLine().getOut();
            List<RepoCache> repos = cache.repos();
            if (repos.isEmpty()) {
                out.println("the cache is empty (" + cache.root() + ")");
                out.flush();
                return 0;
            }
            long total = 0;
            TextTable table = new TextTable("REPO", "REVISION", "COMMIT", "FILES", "SIZE").alignRight(3, 4);
            for (RepoCache repo : repos) {
                long bytes = repo.blobBytes();
                total += bytes;
                Map<String, String> refs = repo.refs();
                int partials = repo.partials().size();
                table.row(repo.repo(), "", "", "", ProgressBar.bytes(bytes)
                        + (partials > 0 ? " + " + partials + " partial" : ""));
                for (String commit : repo.commits()) {
                    List<String> names = new ArrayList<>();
                    refs.forEach((name, c) -> {
                        if (c.equals(commit)) names.add(name);
                    });
                    List<RepoCache.SnapshotFile> files = repo.files(commit);
                    long size = files.stream().mapToLong(f -> Math.max(0, f.size())).sum();
                    table.row("", names.isEmpty() ? "-" : String.join(", ", names), commit.substring(0, 12),
                            files.size(), ProgressBar.bytes(size));
                }
            }
            table.print(out, "");
            out.printf(Locale.ROOT, "%d repositor%s, %s in %s%n", repos.size(), repos.size() == 1 ? "y" : "ies",
                    ProgressBar.bytes(total), cache.root());
            out.flush();
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = {"Remove a repository from the cache, or one revision of it (a branch, tag or commit id).",
                    "Blobs another cached revision still uses are kept."})
    static final class Rm implements Callable<Integer> {
        @Mixin
        CacheOptions cacheOptions;

        @Parameters(index = "0", paramLabel = "MODEL", description = "org/name[@revision]")
        String model;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            ModelRef ref = ModelRef.parse(model);
            if (ref.quant() != null) {
                throw new IllegalArgumentException("cache rm takes org/name[@revision], not a quant: " + model);
            }
            HubCache cache = cacheOptions.cache();
            RepoCache repo = cache.repo(ref.repo());
            if (!repo.exists()) {
                throw new IllegalArgumentException(ref.repo() + " is not in the cache (" + cache.root() + ")");
            }
            PrintWriter out = spec.commandLine().getOut();
            if (ref.revision() == null) {
                long freed = repo.removeAll();
                out.printf("removed %s: freed %s%n", ref.repo(), ProgressBar.bytes(freed));
            } else {
                String commit = repo.commitOf(ref.revision()).orElseThrow(() -> new IllegalArgumentException(
                        "revision " + ref.revision() + " of " + ref.repo() + " is not in the cache"));
                List<RepoCache.Removed> removed = repo.removeRevision(commit);
                long freed = removed.stream().mapToLong(RepoCache.Removed::bytes).sum();
                out.printf("removed %s@%s (commit %s): freed %s in %d blob%s%n", ref.repo(), ref.revision(),
                        commit.substring(0, 12), ProgressBar.bytes(freed), removed.size(),
                        removed.size() == 1 ? "" : "s");
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = "Remove blobs no cached revision uses, dangling links and refs, and partial downloads "
                    + "untouched for over a day.")
    static final class Prune implements Callable<Integer> {
        @Mixin
        CacheOptions cacheOptions;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            HubCache cache = cacheOptions.cache();
            PrintWriter out = spec.commandLine().getOut();
            Instant staleBefore = Instant.now().minus(STALE);
            long freed = 0;
            int count = 0;
            for (RepoCache repo : cache.repos()) {
                for (RepoCache.Removed r : repo.prune(staleBefore)) {
                    out.printf("removed %s (%s, %s)%n", cache.root().relativize(r.path()), r.reason(),
                            ProgressBar.bytes(r.bytes()));
                    freed += r.bytes();
                    count++;
                }
            }
            out.println(count == 0 ? "nothing to prune in " + cache.root()
                    : "pruned " + count + (count == 1 ? " file" : " files") + ", freed " + ProgressBar.bytes(freed));
            out.flush();
            return 0;
        }
    }
}
