package io.quanthub.cli.cache;

import io.quanthub.cli.hub.RepoPaths;
import io.quanthub.cli.hub.Sha256;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/** One repository's part of the {@link HubCache}: its blobs, snapshots and refs. */
public final class RepoCache {
    private static final String PARTIAL = ".partial";
    private static final String PARTS = ".parts.json";
    private static final String TMP = ".tmp";

    private final Path dir;
    private final String repo;

    RepoCache(Path dir, String repo) {
        this.dir = dir;
        this.repo = repo;
    }

    /** A file of a snapshot: its repository path, where it is, and its size (-1 when its blob is missing). */
    public record SnapshotFile(String path, Path location, long size) {
    }

    /** Something a cleanup deleted, for the report. */
    public record Removed(Path path, long bytes, String reason) {
    }

    public String repo() {
        return repo;
    }

    public Path dir() {
        return dir;
    }

    public boolean exists() {
        return Files.isDirectory(dir);
    }

    public Path blobsDir() {
        return dir.resolve("blobs");
    }

    public Path blob(String sha256) {
        if (!Sha256.isHex(sha256)) throw new IllegalArgumentException("not a sha256: " + sha256);
        return blobsDir().resolve(sha256);
    }

    public Path snapshotDir(String commit) {
        if (!Sha256.isHex(commit)) throw new IllegalArgumentException("not a commit id: " + commit);
        return dir.resolve("snapshots").resolve(commit);
    }

    public Path snapshotFile(String commit, String path) {
        return RepoPaths.resolve(snapshotDir(commit), path);
    }

    /**
     * Makes {@code snapshots/<commit>/<path>} point at the blob: a relative symbolic link, or a hard link where the
     * file system cannot make symbolic links. Either way the bytes exist once.
     */
    public Path link(String commit, String path, String sha256) throws IOException {
        Path target = blob(sha256);
        if (!Files.isRegularFile(target)) throw new NoSuchFileException(target.toString(), null, "blob not cached");
        Path link = snapshotFile(commit, path);
        Files.createDirectories(link.getParent());
        if (Files.exists(link) && Files.isSameFile(link, target)) return link;
        Files.deleteIfExists(link); // an outdated or dangling entry
        try {
            Files.createSymbolicLink(link, link.getParent().relativize(target));
        } catch (UnsupportedOperationException | FileSystemException noSymlinks) {
            Files.createLink(link, target);
        }
        return link;
    }

    /** Records that {@code revision} (a branch or tag) resolved to {@code commit}. */
    public void writeRef(String revision, String commit) throws IOException {
        if (Sha256.isHex(revision)) return; // a commit id names itself
        AtomicFiles.writeString(refsDir().resolve(RepoPaths.require(revision)), commit + "\n");
    }

    public Optional<String> ref(String revision) throws IOException {
        Path file = refsDir().resolve(RepoPaths.require(revision));
        if (!Files.isRegularFile(file)) return Optional.empty();
        String commit = Files.readString(file).strip();
        return Sha256.isHex(commit) ? Optional.of(commit) : Optional.empty();
    }

    /** Revision name → commit, sorted by name. */
    public Map<String, String> refs() throws IOException {
        Map<String, String> refs = new TreeMap<>();
        for (Path file : list(refsDir())) {
            String name = file.getFileName().toString();
            if (name.startsWith(".")) continue; // a temporary file of an interrupted write
            ref(name).ifPresent(commit -> refs.put(name, commit));
        }
        return refs;
    }

    /** The commit a revision names here: a cached commit id, or what a ref points to. */
    public Optional<String> commitOf(String revision) throws IOException {
        if (Sha256.isHex(revision) && Files.isDirectory(snapshotDir(revision))) return Optional.of(revision);
        return ref(revision);
    }

    /** Commits with a snapshot, sorted. */
    public List<String> commits() throws IOException {
        List<String> commits = new ArrayList<>();
        for (Path d : list(dir.resolve("snapshots"))) {
            String name = d.getFileName().toString();
            if (Sha256.isHex(name) && Files.isDirectory(d)) commits.add(name);
        }
        return commits;
    }

    /** The files of a snapshot, by path. */
    public List<SnapshotFile> files(String commit) throws IOException {
        Path snapshot = snapshotDir(commit);
        if (!Files.isDirectory(snapshot)) return List.of();
        List<SnapshotFile> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(snapshot)) {
            for (Path p : walk.sorted().toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
                long size = Files.isRegularFile(p) ? Files.size(p) : -1; // follows the link to the blob
                files.add(new SnapshotFile(RepoPaths.of(snapshot, p), p, size));
            }
        }
        return files;
    }

    /** The verified blobs (not partial downloads). */
    public List<Path> blobs() throws IOException {
        List<Path> blobs = new ArrayList<>();
        for (Path p : list(blobsDir())) {
            if (Sha256.isHex(p.getFileName().toString()) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                blobs.add(p);
            }
        }
        return blobs;
    }

    /** Bytes of all blobs: what this repository takes on disk. */
    public long blobBytes() throws IOException {
        long bytes = 0;
        for (Path b : blobs()) bytes += Files.size(b);
        return bytes;
    }

    /** Downloads in progress or abandoned ({@code <sha256>.partial}). */
    public List<Path> partials() throws IOException {
        return list(blobsDir()).stream().filter(p -> p.getFileName().toString().endsWith(PARTIAL)).toList();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Removal

    /** Deletes the whole repository from the cache; returns the bytes its files took. */
    public long removeAll() throws IOException {
        long bytes = 0;
        if (!exists()) return 0;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) bytes += Files.size(p);
                Files.delete(p);
            }
        }
        return bytes;
    }

    /**
     * Deletes one revision's snapshot and the refs pointing to it, then the blobs no other snapshot uses.
     *
     * @return the blobs deleted
     */
    public List<Removed> removeRevision(String commit) throws IOException {
        for (Map.Entry<String, String> ref : refs().entrySet()) {
            if (ref.getValue().equals(commit)) Files.delete(refsDir().resolve(ref.getKey()));
        }
        deleteTree(snapshotDir(commit));
        List<Removed> removed = removeUnreferencedBlobs();
        removeIfEmpty();
        return removed;
    }

    /**
     * Cleans up what no revision needs: dangling snapshot entries and refs, blobs no snapshot uses, and partial
     * downloads and temporary files untouched since {@code staleBefore} (a live download writes its partial file
     * continually and holds a lock on it, so it is never taken for stale).
     */
    public List<Removed> prune(Instant staleBefore) throws IOException {
        List<Removed> removed = new ArrayList<>();
        for (String commit : commits()) {
            for (SnapshotFile f : files(commit)) {
                if (f.size() < 0) {
                    Files.delete(f.location());
                    removed.add(new Removed(f.location(), 0, "link to a missing blob"));
                }
            }
            deleteEmptyDirs(snapshotDir(commit));
        }
        Set<String> commits = new HashSet<>(commits());
        for (Map.Entry<String, String> ref : refs().entrySet()) {
            if (!commits.contains(ref.getValue())) {
                Path file = refsDir().resolve(ref.getKey());
                Files.delete(file);
                removed.add(new Removed(file, 0, "ref to a revision not in the cache"));
            }
        }
        removed.addAll(removeUnreferencedBlobs());
        removed.addAll(removeStale(staleBefore));
        removeIfEmpty();
        return removed;
    }

    /** Blobs that no snapshot entry points to (by symbolic link or as the same file). */
    List<Removed> removeUnreferencedBlobs() throws IOException {
        List<Path> blobs = blobs();
        Set<Path> used = new HashSet<>();
        Map<Long, List<Path>> bySize = new HashMap<>();
        for (Path b : blobs) bySize.computeIfAbsent(Files.size(b), k -> new ArrayList<>()).add(b);
        for (String commit : commits()) {
            for (SnapshotFile f : files(commit)) {
                if (f.size() < 0) continue;
                if (Files.isSymbolicLink(f.location())) {
                    used.add(f.location().getParent().resolve(Files.readSymbolicLink(f.location())).normalize());
                } else {
                    // A hard link: the blob that is the same file (same size first, to compare few).
                    for (Path b : bySize.getOrDefault(f.size(), List.of())) {
                        if (Files.isSameFile(b, f.location())) used.add(b);
                    }
                }
            }
        }
        List<Removed> removed = new ArrayList<>();
        for (Path b : blobs) {
            if (used.contains(b.normalize())) continue;
            long bytes = Files.size(b);
            Files.delete(b);
            removed.add(new Removed(b, bytes, "blob no snapshot uses"));
        }
        return removed;
    }

    private List<Removed> removeStale(Instant staleBefore) throws IOException {
        List<Removed> removed = new ArrayList<>();
        FileTime cutoff = FileTime.from(staleBefore);
        for (Path d : List.of(blobsDir(), refsDir())) {
            for (Path p : list(d)) {
                String name = p.getFileName().toString();
                boolean partial = name.endsWith(PARTIAL);
                boolean leftover = partial || name.endsWith(PARTS) || name.startsWith(".") && name.endsWith(TMP);
                if (!leftover || Files.getLastModifiedTime(p).compareTo(cutoff) >= 0) continue;
                Path partialFile = partial ? p : name.endsWith(PARTS)
                        ? p.resolveSibling(name.substring(0, name.length() - PARTS.length()) + PARTIAL) : null;
                if (partialFile != null && Files.exists(partialFile) && isLocked(partialFile)) continue;
                long bytes = Files.size(p);
                if (Files.deleteIfExists(p)) {
                    removed.add(new Removed(p, bytes, partial ? "partial download untouched for over a day"
                            : "leftover of an interrupted download"));
                }
            }
        }
        return removed;
    }

    /** True when a running download holds the lock on this partial file. */
    private static boolean isLocked(Path partial) throws IOException {
        try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock();
            if (lock == null) return true;
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // this very process is downloading it
        }
    }

    private void removeIfEmpty() throws IOException {
        deleteEmptyDirs(dir);
    }

    /** Deletes the empty directories under and including {@code top}. */
    private static void deleteEmptyDirs(Path top) throws IOException {
        if (!Files.isDirectory(top, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> walk = Files.walk(top)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
                try {
                    Files.delete(p);
                } catch (DirectoryNotEmptyException keep) {
                    // still holds files
                }
            }
        }
    }

    private static void deleteTree(Path top) throws IOException {
        if (!Files.exists(top, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> walk = Files.walk(top)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private Path refsDir() {
        return dir.resolve("refs");
    }

    private static List<Path> list(Path d) throws IOException {
        if (!Files.isDirectory(d)) return List.of();
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }
}
