package io.quanthub.cli;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.HubException;
import io.quanthub.cli.hub.ModelRef;
import io.quanthub.cli.hub.RepoPaths;
import io.quanthub.cli.hub.Sha256;
import io.quanthub.hub.api.RepoDetails;
import io.quanthub.hub.api.RepoFile;
import io.quanthub.storage.Digest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * {@code quanthub push PATH --repo org/name}: uploads a file or directory as one commit. Files are hashed locally;
 * bytes the repository already has are not sent again; the commit names the head it was based on and is redone on
 * the new head when someone else committed in between.
 */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = {"Upload a file or a directory (without .git directories) to a hub repository as one commit.",
                "Files the repository already has (same sha256) are not uploaded again."})
public final class PushCommand implements Callable<Integer> {
    /** Commits retried on a moved branch head before giving up. */
    static final int MAX_COMMIT_ATTEMPTS = 5;

    @Mixin
    HubOptions hub;

    @Parameters(index = "0", paramLabel = "PATH", description = "A file or a directory.")
    Path path;

    @Option(names = "--repo", required = true, paramLabel = "ORG/NAME", description = "The repository.")
    String repo;

    @Option(names = {"-m", "--message"}, paramLabel = "TEXT", description = "Commit message.")
    String message;

    @Option(names = "--branch", paramLabel = "NAME", defaultValue = ModelRef.DEFAULT_REVISION,
            description = "Branch to commit to, created if missing (default: ${DEFAULT-VALUE}).")
    String branch;

    @Option(names = "--create", description = "Create the repository if it does not exist.")
    boolean create;

    @Option(names = "--private", description = "With --create: make the new repository private.")
    boolean makePrivate;

    @Option(names = "--follow-symlinks", description = {"Upload what symlinks point to wherever it is, and descend "
            + "into linked directories. Without it a symlink that points outside PATH stops the push (nothing is "
            + "uploaded); one that points to a file inside PATH is uploaded under its own path."})
    boolean followSymlinks;

    @Option(names = "--progress", negatable = true,
            description = "Draw progress bars (default: only on a terminal; otherwise a line every few seconds).")
    Boolean progress;

    @Spec
    CommandSpec spec;

    /** A local file and its path in the repository. */
    record LocalFile(String path, Path file, long size) {
    }

    /** The branch as last seen: its head (null when the branch is new) and files; digests the hub has. */
    record Remote(String head, Map<String, String> shaByPath, Set<String> digests) {
        static Remote of(RepoDetails details, boolean sameBranch) {
            Map<String, String> byPath = new HashMap<>();
            Set<String> digests = new HashSet<>();
            for (RepoFile f : details.files()) {
                if (sameBranch) byPath.put(f.path(), f.sha256());
                digests.add(f.sha256());
            }
            return new Remote(sameBranch ? details.sha() : null, byPath, digests);
        }
    }

    @Override
    public Integer call() throws IOException {
        String repoName = ModelRef.parseRepo(repo).repo();
        ModelRef.requireRevision(branch);
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        boolean interactive = progress != null ? progress : ProgressBar.interactiveByDefault();

        List<LocalFile> local = collect(path, followSymlinks);
        List<RepoFile> hashed = hash(local, stderr, interactive);
        HubClient client = hub.connect();
        Remote remote = remote(client, repoName, stderr);

        Map<String, RepoFile> uploads = new LinkedHashMap<>(); // by digest: identical files go up once
        for (RepoFile f : hashed) {
            if (!remote.digests().contains(f.sha256())) uploads.putIfAbsent(f.sha256(), f);
        }
        upload(client, repoName, uploads.values(), local, stderr, interactive);

        for (int attempt = 1; ; attempt++) {
            Remote base = remote;
            List<RepoFile> changes = hashed.stream()
                    .filter(f -> !f.sha256().equals(base.shaByPath().get(f.path()))).toList();
            if (changes.isEmpty()) {
                stdout.printf("nothing to commit: %s@%s already has these %d files%n", repoName, branch,
                        hashed.size());
                stdout.flush();
                return 0;
            }
            String text = message != null ? message
                    : "Push " + changes.size() + (changes.size() == 1 ? " file" : " files") + " with quanthub";
            try {
                String commit = client.commit(repoName, branch, text, base.head(), changes).id();
                long sent = uploads.values().stream().mapToLong(RepoFile::size).sum();
                stdout.printf(Locale.ROOT, "pushed %s@%s: commit %s%n", repoName, branch, commit);
                stdout.printf(Locale.ROOT, "  %d file%s changed; %d uploaded (%s), %d already on the hub%n",
                        changes.size(), changes.size() == 1 ? "" : "s", uploads.size(), ProgressBar.bytes(sent),
                        hashed.size() - uploads.size());
                stdout.flush();
                return 0;
            } catch (HubException e) {
                if (e.status() != 409) throw e;
                if (attempt == MAX_COMMIT_ATTEMPTS) {
                    throw new IOException("commit to " + repoName + "@" + branch + " conflicted " + attempt
                            + " times with other pushes: " + e.getMessage());
                }
                stderr.println("the branch moved (" + e.getMessage() + "); committing again on the new head");
                stderr.flush();
                remote = remote(client, repoName, stderr);
            }
        }
    }

    /**
     * The file, or every regular file below the directory except in .git directories, sorted by path. A symlink
     * below the directory is pushed (as the file it points to) only when it resolves to a file inside the
     * directory, unless {@code followSymlinks}: a push never reads outside the folder it was given by accident
     * ({@code passwd-link -> /etc/passwd}). A link to a directory inside is not descended into (its files are pushed
     * under their own paths); a link that points outside or to nothing refuses the whole push, naming every such
     * link. PATH itself may be a link: the user named it.
     */
    static List<LocalFile> collect(Path path, boolean followSymlinks) throws IOException {
        List<LocalFile> files = new ArrayList<>();
        if (Files.isRegularFile(path)) {
            files.add(new LocalFile(RepoPaths.require(path.getFileName().toString()), path, Files.size(path)));
        } else if (Files.isDirectory(path)) {
            Path root = path.toRealPath();
            List<String> refused = new ArrayList<>();
            FileVisitOption[] options = followSymlinks ? new FileVisitOption[] {FileVisitOption.FOLLOW_LINKS}
                    : new FileVisitOption[0];
            try (Stream<Path> walk = Files.walk(root, options)) {
                for (Path p : walk.sorted().toList()) {
                    boolean link = !followSymlinks && Files.isSymbolicLink(p);
                    if (!link && !Files.isRegularFile(p)) continue;
                    String rel = RepoPaths.of(root, p);
                    if (("/" + rel).contains("/.git/")) continue;
                    if (link) {
                        String escape = escapes(root, p);
                        if (escape != null) refused.add(rel + " -> " + escape);
                        if (escape != null || !Files.isRegularFile(p)) continue;
                    }
                    files.add(new LocalFile(rel, p, Files.size(p)));
                }
            } catch (UncheckedIOException e) {
                if (e.getCause() instanceof FileSystemLoopException loop) {
                    throw new IllegalArgumentException("--follow-symlinks: " + loop.getFile()
                            + " links back to a directory above it");
                }
                throw e.getCause();
            }
            if (!refused.isEmpty()) {
                throw new IllegalArgumentException("not pushing " + path + ": " + refused.size()
                        + (refused.size() == 1 ? " symlink points" : " symlinks point") + " outside it: "
                        + String.join(", ", refused) + " (--follow-symlinks uploads what they point to)");
            }
            if (files.isEmpty()) throw new IllegalArgumentException("nothing to push: " + path + " has no files");
        } else {
            throw new IllegalArgumentException("no such file or directory: " + path);
        }
        return files;
    }

    /** Where the symlink {@code link} leads when that is outside {@code root} (or nowhere); null when inside. */
    private static String escapes(Path root, Path link) throws IOException {
        Path target = Files.readSymbolicLink(link);
        try {
            return link.toRealPath().startsWith(root) ? null : target.toString();
        } catch (NoSuchFileException dangling) {
            return target + " (missing)";
        }
    }

    private static List<RepoFile> hash(List<LocalFile> files, PrintWriter stderr, boolean interactive)
            throws IOException {
        long total = files.stream().mapToLong(LocalFile::size).sum();
        ProgressBar bar = new ProgressBar(stderr, "hash", total, interactive);
        AtomicLong done = new AtomicLong();
        List<RepoFile> hashed = new ArrayList<>();
        try {
            for (LocalFile f : files) {
                String sha = Sha256.hex(f.file(), n -> bar.update(done.addAndGet(n), f.path()));
                hashed.add(new RepoFile(f.path(), f.size(), new Digest(sha)));
            }
        } catch (IOException | RuntimeException e) {
            bar.abandon();
            throw e;
        }
        bar.finish(total, files.size() + (files.size() == 1 ? " file" : " files"));
        return hashed;
    }

    /**
     * The branch's state. A missing branch is new (its base is no commit), and the digests of the repository's
     * default branch still count as present; a missing repository is created with {@code --create}.
     */
    private Remote remote(HubClient client, String repoName, PrintWriter stderr) throws IOException {
        try {
            return Remote.of(client.model(repoName, branch), true);
        } catch (HubException branchMissing) {
            if (branchMissing.status() != 404) throw branchMissing;
        }
        try {
            return Remote.of(client.model(repoName, null), false);
        } catch (HubException repoMissing) {
            if (repoMissing.status() != 404) throw repoMissing;
        }
        if (!create) {
            throw new IllegalArgumentException(repoName + " does not exist on " + client.base()
                    + "; add --create to create it");
        }
        try {
            client.createRepo(repoName, makePrivate);
            stderr.println("created " + (makePrivate ? "private " : "") + "repository " + repoName);
        } catch (HubException e) {
            if (e.status() != 409) throw e; // 409: it exists after all (empty, or created concurrently)
        }
        return new Remote(null, Map.of(), Set.of());
    }

    private static void upload(HubClient client, String repoName, Collection<RepoFile> uploads,
                               List<LocalFile> local, PrintWriter stderr, boolean interactive) throws IOException {
        if (uploads.isEmpty()) return;
        Map<String, Path> fileByPath = new HashMap<>();
        for (LocalFile f : local) fileByPath.put(f.path(), f.file());
        long total = uploads.stream().mapToLong(RepoFile::size).sum();
        int count = uploads.size();
        ProgressBar bar = new ProgressBar(stderr, "upload", total, interactive);
        AtomicLong done = new AtomicLong();
        try {
            for (RepoFile f : uploads) {
                client.upload(repoName, fileByPath.get(f.path()), f.sha256(),
                        n -> bar.update(done.addAndGet(n), f.path()));
            }
        } catch (IOException | RuntimeException e) {
            bar.abandon();
            throw e;
        }
        bar.finish(total, count + (count == 1 ? " file" : " files"));
    }
}
