package io.quanthub.inference.preview;

import io.quanthub.storage.BlobStore;
import io.quanthub.storage.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An inference node's local copies of model files (GGUF variants, sources, VAEs, conditioning sets), fetched from the
 * bucket by digest into {@code <dir>/<hex>}, memory-mapped from there by the pipeline. A file is streamed to a
 * temporary name while its sha256 is computed, and renamed into place only when it matches its digest, so a file
 * under its final name is always complete and correct. The folder holds at most {@code budgetBytes}: when a new
 * file would pass it, the least recently used files go first, except those in use.
 */
public final class ModelFiles implements LocalFiles {
    private static final System.Logger LOG = System.getLogger(ModelFiles.class.getName());

    private final BlobStore blobs;
    private final Path dir;
    private final long budgetBytes;
    /** Every cached file with its size, least recently used first. */
    private final LinkedHashMap<String, Long> lru = new LinkedHashMap<>(16, 0.75f, true);
    /** Files that must not be evicted (the loaded model's), by hex digest. */
    private final Set<String> pinned = ConcurrentHashMap.newKeySet();

    public ModelFiles(BlobStore blobs, Path dir, long budgetBytes) {
        this.blobs = blobs;
        this.dir = dir;
        this.budgetBytes = budgetBytes;
        try {
            Files.createDirectories(dir);
            // Files of an earlier run count too, oldest first; leftovers of interrupted fetches are deleted.
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                java.util.List<Path> sorted = new java.util.ArrayList<>();
                for (Path f : files) {
                    if (f.getFileName().toString().endsWith(".part")) Files.deleteIfExists(f);
                    else sorted.add(f);
                }
                sorted.sort(java.util.Comparator.comparing(ModelFiles::modified));
                for (Path f : sorted) lru.put(f.getFileName().toString(), Files.size(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the model cache folder " + dir + ": " + e.getMessage(), e);
        }
    }

    private static java.nio.file.attribute.FileTime modified(Path f) {
        try {
            return Files.getLastModifiedTime(f);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    /** The local file of a blob, fetched and verified first if it is not here yet. */
    @Override
    public Path get(String digest) throws IOException {
        String hex = Digest.parse(digest).hex();
        Path file = dir.resolve(hex);
        synchronized (this) {
            if (lru.get(hex) != null && Files.exists(file)) return file;
        }
        // One fetch per file at a time; fetches of different files may overlap.
        synchronized (lockFor(hex)) {
            if (!Files.exists(file)) fetch(hex, file);
        }
        synchronized (this) {
            lru.put(hex, Files.size(file));
            evictOver(hex);
        }
        return file;
    }

    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    private Object lockFor(String hex) {
        return locks.computeIfAbsent(hex, k -> new Object());
    }

    /** Keeps these files (by digest) whatever the budget says, until {@link #unpin}. */
    @Override
    public void pin(String... digests) {
        for (String d : digests) pinned.add(Digest.parse(d).hex());
    }

    @Override
    public void unpin(String... digests) {
        for (String d : digests) pinned.remove(Digest.parse(d).hex());
    }

    private void fetch(String hex, Path file) throws IOException {
        Path temp = dir.resolve(hex + "." + Thread.currentThread().threadId() + ".part");
        try {
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            try (InputStream in = new DigestInputStream(blobs.open(new Digest(hex)), sha);
                 OutputStream out = Files.newOutputStream(temp)) {
                in.transferTo(out);
            }
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(hex)) {
                throw new IOException("blob sha256:" + hex + " arrived with sha256:" + actual + "; not cached");
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Deletes least recently used files until the folder fits its budget (never {@code keep} or pinned ones). */
    private void evictOver(String keep) {
        long total = lru.values().stream().mapToLong(Long::longValue).sum();
        for (Iterator<Map.Entry<String, Long>> it = lru.entrySet().iterator(); it.hasNext() && total > budgetBytes; ) {
            Map.Entry<String, Long> e = it.next();
            if (e.getKey().equals(keep) || pinned.contains(e.getKey())) continue;
            try {
                // A mapped file stays readable after deletion on Linux: a model still open is not harmed.
                Files.deleteIfExists(dir.resolve(e.getKey()));
                total -= e.getValue();
                it.remove();
            } catch (IOException ex) {
                LOG.log(System.Logger.Level.WARNING, "cannot evict " + e.getKey() + " from " + dir + ": " + ex);
            }
        }
    }

    /** Bytes held now. */
    public synchronized long bytes() {
        return lru.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Whether a blob is cached here. */
    public synchronized boolean contains(String digest) {
        return lru.containsKey(Digest.parse(digest).hex());
    }
}
