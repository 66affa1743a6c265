package io.quanthub.storage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Branches and tags, moved only by compare-and-set.
 *
 * <p>Each ref is an append-only log, {@code refs/<owner>/<name>/<heads|tags>/<ref>/<seq>} with a zero-padded
 * sequence number; the entry with the highest number is the current value. A move reads the head entry, checks
 * that it holds the commit the caller expects, and creates the next entry with {@code If-None-Match: *}. S3
 * creates a key with that condition at most once, so of two writers that read the same head exactly one creates
 * the next entry and the other gets HTTP 412, reported as {@link StorageException.RefConflict} with the value
 * that won. No update is ever lost, and the log doubles as the ref's history.
 *
 * <p>Requires an S3 that honours conditional writes (AWS S3 does since 2024; S3Proxy's filesystem backend does,
 * atomically, through a hard link); {@link HubStorage#open} refuses a server that ignores them. All methods block.
 */
public final class Refs {
    /** One log entry: the ref points at {@code commit} (null: deleted), moved from {@code previous}. */
    record Entry(String commit, String previous, String author, Instant time) {}

    /** A ref's current value, with its position in the log. */
    public record Head(Ref ref, long seq, String commit, String author, Instant time) {}

    private static final String FORMAT = "%020d";

    private final ObjectStore s3;
    private final StorageOptions options;

    Refs(ObjectStore s3, StorageOptions options) {
        this.s3 = s3;
        this.options = options;
    }

    static String repoPrefix(RepoName repo) {
        return "refs/" + repo.owner() + "/" + repo.name() + "/";
    }

    private static String logPrefix(Ref ref) {
        return repoPrefix(ref.repo()) + ref.kind().folder + "/" + ref.name() + "/";
    }

    /** The commit the ref points at, or empty if it does not exist (never created, or deleted). */
    public Optional<String> resolve(Ref ref) {
        return head(ref).map(Head::commit);
    }

    /** The ref's current log entry, or empty if it does not exist. */
    public Optional<Head> head(Ref ref) {
        return latest(ref).filter(head -> head.commit() != null);
    }

    /** The head entry including a deletion (commit null), or empty if the log is empty. */
    private Optional<Head> latest(Ref ref) {
        String prefix = logPrefix(ref);
        // Keys list in ascending order and sequence numbers are zero-padded, so the last key is the head.
        return s3.list(prefix).reduce((older, newer) -> newer).map(info -> {
            long seq = Long.parseLong(info.key().substring(prefix.length()));
            Entry entry = Json.read(s3.get(info.key())
                    .orElseThrow(() -> new StorageException("ref log entry vanished: " + info.key())),
                    Entry.class, info.key());
            return new Head(ref, seq, entry.commit(), entry.author(), entry.time());
        });
    }

    /**
     * Points {@code ref} at {@code next} if it currently points at {@code expected} (null: the ref must not
     * exist). Throws {@link StorageException.RefConflict} with the actual value otherwise, or when another writer
     * moved the ref at the same moment.
     */
    public Head compareAndSet(Ref ref, String expected, String next, String author) {
        Names.requireCommitId(next);
        return append(ref, expected, next, author);
    }

    /** Deletes {@code ref} if it points at {@code expected}; the log keeps its history. */
    public void delete(Ref ref, String expected, String author) {
        Names.requireCommitId(expected);
        append(ref, expected, null, author);
    }

    private Head append(Ref ref, String expected, String next, String author) {
        Optional<Head> latest = latest(ref);
        String actual = latest.map(Head::commit).orElse(null);
        if (!Objects.equals(actual, expected)) throw new StorageException.RefConflict(ref, expected, actual);
        long seq = latest.map(Head::seq).orElse(0L) + 1;
        Entry entry = new Entry(next, expected, author, options.clock().instant());
        if (!s3.putIfAbsent(logPrefix(ref) + String.format(FORMAT, seq), Json.write(entry))) {
            // Someone else appended entry `seq` after our read: report what the ref holds now.
            throw new StorageException.RefConflict(ref, expected, resolve(ref).orElse(null));
        }
        return new Head(ref, seq, next, author, entry.time());
    }

    /** Every existing ref of one kind in a repository: name to commit, in name order. */
    public Map<String, String> list(RepoName repo, Ref.Kind kind) {
        Map<String, String> refs = new LinkedHashMap<>();
        for (String name : s3.listChildren(repoPrefix(repo) + kind.folder + "/")) {
            resolve(new Ref(repo, kind, name)).ifPresent(commit -> refs.put(name, commit));
        }
        return refs;
    }

    /** The ref's moves, oldest first (a deletion has a null commit). */
    public List<Head> history(Ref ref) {
        String prefix = logPrefix(ref);
        List<Head> moves = new ArrayList<>();
        s3.list(prefix).forEach(info -> s3.get(info.key()).ifPresent(json -> {
            Entry entry = Json.read(json, Entry.class, info.key());
            moves.add(new Head(ref, Long.parseLong(info.key().substring(prefix.length())),
                    entry.commit(), entry.author(), entry.time()));
        }));
        return moves;
    }
}
