package io.quanthub.cli.pull;

import io.quanthub.cli.cache.HubCache;
import io.quanthub.cli.cache.RepoCache;
import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.ModelRef;
import io.quanthub.cli.hub.RepoPaths;
import io.quanthub.hub.api.QuantTable;
import io.quanthub.hub.api.RepoDetails;
import io.quanthub.hub.api.RepoFile;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code quanthub pull}'s steps, each usable on its own: {@link #resolve} what a model reference means on the hub,
 * see which of its files are {@link #missing} from the cache, {@link #download} them as verified blobs,
 * {@link #commit} the snapshot and ref, and {@link #place} copies in an output directory.
 */
public final class Puller {
    private final HubClient hub;
    private final HubCache cache;
    private final Downloader downloader;

    /**
     * What a pull fetches: files of one commit.
     *
     * @param revision the branch, tag or commit id asked for
     * @param quant    the quant level chosen (named or the default), or null for every file
     */
    public record Target(ModelRef ref, String revision, String commit, String quant, List<RepoFile> files) {
        public long size() {
            return files.stream().mapToLong(RepoFile::size).sum();
        }
    }

    public Puller(HubClient hub, HubCache cache, Downloader downloader) {
        this.hub = hub;
        this.cache = cache;
        this.downloader = downloader;
    }

    /** Has the hub produce a missing quant level of a commit (converting it), or fails saying why. */
    @FunctionalInterface
    public interface Producer {
        void produce(String repo, String commit, String quant) throws IOException;
    }

    /**
     * The files {@code ref} stands for, pinned to the commit its revision resolves to now: a named quant's GGUF
     * file; without a quant, the repository's default level (docs/hub-api.md), or every file when it has none.
     */
    public Target resolve(ModelRef ref) throws IOException {
        return resolve(ref, null);
    }

    /** Like {@link #resolve(ModelRef)}; a named level that is missing is first made by {@code producer}, if any. */
    public Target resolve(ModelRef ref, Producer producer) throws IOException {
        String revision = ref.revisionOrDefault();
        RepoDetails details = hub.model(ref.repo(), revision);
        if (details.sha() == null) throw new IOException(ref.repo() + "@" + revision + " has no commits yet");
        String commit = details.sha();
        if (ref.quant() != null) {
            QuantTable quants = hub.quants(ref.repo(), commit);
            QuantTable.Level level = namedLevel(ref, quants);
            if (!level.available() && producer != null) {
                producer.produce(ref.repo(), commit, level.quant());
                level = namedLevel(ref, hub.quants(ref.repo(), commit));
            }
            if (level.file().isEmpty()) {
                List<String> available = quants.downloadableNames();
                String state = level.available()
                        ? "available on the hub, but its file is not in " + ref.repo() + "@" + revision
                        : level.status().id() + " on the hub";
                throw new IOException(ref + " is " + state + "; available: "
                        + (available.isEmpty() ? "none" : String.join(", ", available)));
            }
            return new Target(ref, revision, commit, level.quant(), List.of(level.file().orElseThrow()));
        }
        if (!details.ggufs().isEmpty()) {
            QuantTable quants = hub.quants(ref.repo(), commit);
            if (quants.defaultQuant() != null) {
                QuantTable.Level level = quants.level(quants.defaultQuant()).filter(l -> l.file().isPresent())
                        .orElseThrow(() -> new IOException("the hub names " + quants.defaultQuant()
                                + " as the default quant of " + ref.repo() + " but lists no available file for it"));
                return new Target(ref, revision, commit, level.quant(), List.of(level.file().orElseThrow()));
            }
        }
        return new Target(ref, revision, commit, null, details.files());
    }

    private static QuantTable.Level namedLevel(ModelRef ref, QuantTable quants) throws IOException {
        return quants.level(ref.quant()).orElseThrow(() -> new IOException(ref.repo() + " has no quant level "
                + ref.quant() + " (levels: " + String.join(", ", quants.quants().stream().map(QuantTable.Level::quant)
                .toList()) + ")"));
    }

    public RepoCache repoCache(Target target) {
        return cache.repo(target.ref().repo());
    }

    /** The target's files whose blob is not in the cache yet, each digest once. */
    public List<RepoFile> missing(Target target) {
        RepoCache repo = repoCache(target);
        List<RepoFile> missing = new ArrayList<>();
        for (RepoFile f : target.files()) {
            boolean seen = missing.stream().anyMatch(m -> m.sha256().equals(f.sha256()));
            if (!seen && !Files.exists(repo.blob(f.sha256()))) missing.add(f);
        }
        return missing;
    }

    /** Bytes still to fetch for these files, counting parts that an interrupted download already has. */
    public long remainingBytes(Target target, List<RepoFile> files) {
        RepoCache repo = repoCache(target);
        long bytes = 0;
        for (RepoFile f : files) {
            Path blob = repo.blob(f.sha256());
            PartState saved = PartState.load(Downloader.stateFile(blob), f.sha256(),
                    new PartPlan(f.size(), downloader.settings().partSize()));
            bytes += f.size() - (saved == null ? 0 : saved.doneBytes());
        }
        return bytes;
    }

    /** Downloads one file of the target into its blob, checking that the hub serves what it listed. */
    public void download(Target target, RepoFile file, Downloader.Listener listener) throws IOException {
        RemoteFile remote = downloader.head(hub.resolveUri(target.ref().repo(), target.commit(), file.path()));
        if (!remote.sha256().equals(file.sha256()) || remote.size() != file.size()) {
            throw new IOException("the hub serves " + file.path() + " as sha256 " + remote.sha256() + ", "
                    + remote.size() + " bytes, but listed sha256 " + file.sha256() + ", " + file.size() + " bytes");
        }
        if (remote.commit() != null && !remote.commit().equals(target.commit())) {
            throw new IOException("the hub served " + file.path() + " from commit " + remote.commit() + ", not "
                    + target.commit());
        }
        downloader.download(remote, repoCache(target).blob(file.sha256()), listener);
    }

    /** Links the target's files into {@code snapshots/<commit>/} and records the revision's commit. */
    public List<Path> commit(Target target) throws IOException {
        RepoCache repo = repoCache(target);
        List<Path> paths = new ArrayList<>();
        for (RepoFile f : target.files()) paths.add(repo.link(target.commit(), f.path(), f.sha256()));
        repo.writeRef(target.revision(), target.commit());
        return paths;
    }

    /**
     * Puts a cached file at {@code outDir/path}: a hard link to its blob when both are on one file system (no bytes
     * copied, none stored twice), else a copy. An existing file there is replaced.
     *
     * @return true when the file was copied
     */
    public static boolean place(Path cached, Path outDir, String path) throws IOException {
        Path dest = RepoPaths.resolve(outDir, path);
        Files.createDirectories(dest.getParent());
        Path blob = cached.toRealPath();
        if (Files.exists(dest) && Files.isSameFile(dest, blob)) return false;
        Path tmp = dest.resolveSibling("." + dest.getFileName() + ".quanthub-tmp");
        Files.deleteIfExists(tmp);
        boolean copied = false;
        try {
            Files.createLink(tmp, blob);
        } catch (FileSystemException | UnsupportedOperationException otherFileSystem) {
            DiskSpace.require(dest.getParent(), Files.size(blob), "copying to " + dest);
            Files.copy(blob, tmp);
            tmp.toFile().setWritable(true, true); // a copy is the user's own file, unlike the read-only blob
            copied = true;
        }
        Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return copied;
    }
}
