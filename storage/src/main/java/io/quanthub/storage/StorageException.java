package io.quanthub.storage;

import java.util.List;

/**
 * A storage operation failed. The nested subclasses are the failures a caller handles differently (the hub maps
 * them to HTTP statuses); anything else (S3 unreachable, bad credentials, an I/O error) is a plain
 * {@code StorageException} whose message names the operation and the object key.
 */
public class StorageException extends RuntimeException {
    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The blob, commit, ref, repository or variant does not exist. */
    public static final class NotFound extends StorageException {
        public NotFound(String message) {
            super(message);
        }
    }

    /** Something that is created once (a repository, a tag, an object key) already exists. */
    public static final class AlreadyExists extends StorageException {
        public AlreadyExists(String message) {
            super(message);
        }
    }

    /** An upload went past the caller's size limit; nothing was stored. */
    public static final class TooLarge extends StorageException {
        private final long limit;

        public TooLarge(long limit) {
            super("upload is larger than the limit of " + limit + " bytes");
            this.limit = limit;
        }

        public long limit() {
            return limit;
        }
    }

    /** The uploaded bytes do not hash to the digest the caller announced; nothing was stored. */
    public static final class DigestMismatch extends StorageException {
        public DigestMismatch(Digest expected, Digest actual) {
            super("upload hashes to " + actual + " but " + expected + " was announced");
        }
    }

    /**
     * A compare-and-set on a ref lost: the ref no longer points where the caller expected. {@link #actual()} is
     * where it points now (null: the ref does not exist), so the caller can rebase and retry.
     */
    public static final class RefConflict extends StorageException {
        private final Ref ref;
        private final String expected;
        private final String actual;

        public RefConflict(Ref ref, String expected, String actual) {
            super(ref + " moved: expected " + describe(expected) + ", found " + describe(actual));
            this.ref = ref;
            this.expected = expected;
            this.actual = actual;
        }

        public Ref ref() {
            return ref;
        }

        public String expected() {
            return expected;
        }

        public String actual() {
            return actual;
        }

        private static String describe(String commit) {
            return commit == null ? "no ref" : "commit " + commit;
        }
    }

    /**
     * A commit touches paths that another commit changed since the base the author worked from; it was not
     * applied. {@link #head()} is the branch head that holds the other change.
     */
    public static final class CommitConflict extends StorageException {
        private final List<String> paths;
        private final String head;

        public CommitConflict(Ref branch, List<String> paths, String head) {
            super(branch + " changed " + paths + " since the base commit (head is now " + head + ")");
            this.paths = List.copyOf(paths);
            this.head = head;
        }

        public List<String> paths() {
            return paths;
        }

        public String head() {
            return head;
        }
    }

    /** S3 refused a conditional write (HTTP 412). Internal: callers see RefConflict or AlreadyExists instead. */
    static final class PreconditionFailed extends StorageException {
        PreconditionFailed(String message) {
            super(message);
        }
    }
}
