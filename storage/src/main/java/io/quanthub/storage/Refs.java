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
 * <p>Finding the head must not cost a listing of the whole log (that grows with every commit), so each ref also
 * has a <b>head hint</b>, {@code refs/<owner>/<name>/<heads|tags>/<ref>/head}: a copy of the newest entry the last
 * writer knew of, with its sequence number, written after each successful append. The hint is only a starting
 * point: a reader takes entry {@code n} from it and then probes {@code n+1, n+2, ...} until one is missing
 * (usually the first probe), so a stale hint (a writer that crashed between append and hint, or two writers
 * overwriting each other's hint out of order) costs a few extra GETs, never a wrong answer; the log stays the
 * truth. A log without a hint (stores written before hints existed) is listed once and gets its hint. Resolving
 * is thus two requests and a move four, whatever the length of the log.
 *
 * <p>Requires an S3 that honours conditional writes (AWS S3 does since 2024; S3Proxy's filesystem backend does,
 * atomically, through a hard link); {@link HubStorage#open} refuses a server that ignores them. The hint is
 * written unconditionally: {@code If-Match} is not atomic on S3Proxy (see {@link VariantStore}), and a hint needs
 * no atomicity. All methods block.
 */
public final class Refs {
    /** One log entry: the ref points at {@code commit} (null: deleted), moved from {@code previous}. */
    record Entry(String commit, String previous, String author, Instant time) {}

    /** The head hint: a copy of log entry {@code seq}. */
    record Hint(long seq, Entry entry) {}

    /** A ref's current value, with its position in the log. */
    public record Head(Ref ref, long seq, String commit, String author, Instant time) {}

    private static final String FORMAT = "%020d";
    private static final String HINT = "head";
    /** Probes past a stale hint after which the reader rewrites the hint, so that later readers skip them. */
    private static final int REWRITE_HINT_AFTER = 1;

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

    private static String entryKey(Ref ref, long seq) {
        return logPrefix(ref) + String.format(FORMAT, seq);
    }

    private static String hintKey(Ref ref) {
        return logPrefix(ref) + HINT;
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
        Optional<Hint> hint = s3.get(hintKey(ref)).map(json -> StoredJson.read(json, Hint.class, hintKey(ref)));
        Hint known = hint.isPresent() ? hint.get() : latestByListing(ref).orElse(null);
        if (known == null) return Optional.empty();
        int probes = 0;
        for (Optional<byte[]> next; (next = s3.get(entryKey(ref, known.seq() + 1))).isPresent(); probes++) {
            long seq = known.seq() + 1;
            known = new Hint(seq, StoredJson.read(next.get(), Entry.class, entryKey(ref, seq)));
        }
        if (hint.isEmpty() || probes >= REWRITE_HINT_AFTER) writeHint(ref, known);
        Entry entry = known.entry();
        return Optional.of(new Head(ref, known.seq(), entry.commit(), entry.author(), entry.time()));
    }

    /** The newest entry found by listing the log: only for logs without a hint. */
    private Optional<Hint> latestByListing(Ref ref) {
        String prefix = logPrefix(ref);
        // Keys list in ascending order and sequence numbers are zero-padded, so the last entry key is the head.
        return s3.list(prefix).map(ObjectStore.ObjectInfo::key)
                .filter(key -> !key.endsWith("/" + HINT))
                .reduce((older, newer) -> newer)
                .map(key -> new Hint(Long.parseLong(key.substring(prefix.length())), StoredJson.read(s3.get(key)
                        .orElseThrow(() -> new StorageException("ref log entry vanished: " + key)), Entry.class, key)));
    }

    /** Best effort: a failed hint write only makes the next reader probe further. */
    private void writeHint(Ref ref, Hint hint) {
        try {
            s3.put(hintKey(ref), StoredJson.write(hint));
        } catch (StorageException e) {
            // The append already succeeded; the log, not the hint, is the ref's value.
        }
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
        if (!s3.putIfAbsent(entryKey(ref, seq), StoredJson.write(entry))) {
            // Someone else appended entry `seq` after our read: report what the ref holds now.
            throw new StorageException.RefConflict(ref, expected, resolve(ref).orElse(null));
        }
        writeHint(ref, new Hint(seq, entry));
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
        s3.list(prefix).filter(info -> !info.key().endsWith("/" + HINT))
                .forEach(info -> s3.get(info.key()).ifPresent(json -> {
            Entry entry = StoredJson.read(json, Entry.class, info.key());
            moves.add(new Head(ref, Long.parseLong(info.key().substring(prefix.length())),
                    entry.commit(), entry.author(), entry.time()));
        }));
        return moves;
    }
}
