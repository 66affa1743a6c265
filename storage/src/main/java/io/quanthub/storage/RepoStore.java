package io.quanthub.storage;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Model repositories ({@code owner/name}) with immutable commits, branches and tags, in the style of the Hugging
 * Face Hub: a commit lists every file of the repository as a path-to-blob map, so any revision can be read without
 * replaying history.
 *
 * <p>Layout: {@code repos/<owner>/<name>.json} (the repository record, created once), {@code commits/<id>}
 * (manifests, content-addressed), and the ref logs described in {@link Refs}. All methods block.
 */
public final class RepoStore {
    /**
     * A repository as created.
     *
     * @param isPrivate only visible to callers the hub lets read private repositories (JSON {@code "private"};
     *                  records written before the flag existed read as public)
     */
    public record RepoInfo(RepoName name, String createdBy, Instant created,
                           @JsonProperty("private") boolean isPrivate) {}

    /**
     * How often {@link #commit} re-applies a change on a branch that keeps moving. Every lost round means another
     * commit landed, so this bounds waiting, not correctness.
     */
    static final int MAX_ATTEMPTS = 64;

    private static final String REPOS = "repos/";
    static final String COMMITS = "commits/";

    private final ObjectStore s3;
    private final BlobStore blobs;
    private final BlobAccess access;
    private final Refs refs;
    private final StorageOptions options;

    RepoStore(ObjectStore s3, BlobStore blobs, BlobAccess access, Refs refs, StorageOptions options) {
        this.s3 = s3;
        this.blobs = blobs;
        this.access = access;
        this.refs = refs;
        this.options = options;
    }

    public Refs refs() {
        return refs;
    }

    // ---- repositories -----------------------------------------------------------------------------------------------

    private static String repoKey(RepoName repo) {
        return REPOS + repo.owner() + "/" + repo.name() + ".json";
    }

    /** Creates an empty public repository (no branches yet); {@link StorageException.AlreadyExists} if taken. */
    public RepoInfo create(RepoName repo, String createdBy) {
        return create(repo, createdBy, false);
    }

    /** Creates an empty repository, private or public; {@link StorageException.AlreadyExists} if taken. */
    public RepoInfo create(RepoName repo, String createdBy, boolean isPrivate) {
        RepoInfo info = new RepoInfo(repo, createdBy, now(), isPrivate);
        if (!s3.putIfAbsent(repoKey(repo), StoredJson.write(info))) {
            throw new StorageException.AlreadyExists("repository " + repo + " already exists");
        }
        return info;
    }

    public Optional<RepoInfo> info(RepoName repo) {
        return s3.get(repoKey(repo)).map(json -> StoredJson.read(json, RepoInfo.class, repoKey(repo)));
    }

    /** Every repository, in name order. */
    public List<RepoName> list() {
        return s3.list(REPOS).map(info -> {
            String path = info.key().substring(REPOS.length());
            return RepoName.parse(path.substring(0, path.length() - ".json".length()));
        }).toList();
    }

    /**
     * Deletes a repository: its commits, its refs with their logs, the record of what was uploaded to it and of
     * which blobs its history holds, then the repository record, so that a new repository of the same name starts
     * with nothing of this one (no branch, no commit id that resolves, no blob it may reference). The blobs stay
     * until garbage collection finds them unreferenced. {@link StorageException.NotFound} if there is no such
     * repository.
     */
    public void delete(RepoName repo) {
        requireRepo(repo);
        Set<String> commits = new HashSet<>();
        Set<Digest> held = new HashSet<>();
        String refsPrefix = Refs.repoPrefix(repo);
        for (Ref.Kind kind : Ref.Kind.values()) {
            for (String name : s3.listChildren(refsPrefix + kind.folder + "/")) {
                // Every commit a ref ever pointed at, and its ancestors: branches that moved or were deleted too.
                for (Refs.Head move : refs.history(new Ref(repo, kind, name))) {
                    String id = move.commit();
                    while (id != null && !commits.contains(id)) {
                        Manifest manifest = s3.get(COMMITS + id).map(json -> StoredJson.read(json, Manifest.class, COMMITS))
                                .orElse(null);
                        if (manifest == null || !manifest.repo().equals(repo)) break; // never another repository's
                        commits.add(id);
                        manifest.files().values().forEach(blob -> held.add(blob.digest()));
                        id = manifest.parent();
                    }
                }
            }
        }
        for (String id : commits) s3.delete(COMMITS + id);
        s3.list(refsPrefix).forEach(info -> s3.delete(info.key()));
        access.forgetUploads(repo);
        access.forgetHeld(repo, held);
        s3.delete(repoKey(repo));
    }

    /**
     * Renames a repository: {@code to} gets the whole history reachable from {@code from}'s branches and tags,
     * every commit rewritten oldest first under the new name and the new parent ids (same files, authors, times and
     * messages: a commit id hashes a manifest that names its repository), the refs at the rewritten commits, the
     * blob access records and the repository record (creator, creation time, privacy); then {@code from} is deleted
     * as {@link #delete} does. Commits only a deleted or moved-away ref ever pointed at are not carried over.
     *
     * <p>The target is written completely before the source is touched, so a crash leaves the source whole (and
     * at worst a complete or partial target to delete). Concurrent pushes to the source are caught by the refs'
     * compare-and-set: once the target is written, each source ref is deleted only if it still points where it
     * did when the copy began (a push that loses that race fails rather than re-creating the branch, see
     * {@link #commit}); if one moved, or a ref appeared, the source's refs are put back (with any push that started
     * a retired branch afresh replayed on top, see {@link #restore}), the target is deleted and the move fails with
     * {@link StorageException.RefConflict}: nothing acknowledged is lost, and a retry moves it all. {@link StorageException.NotFound} if
     * {@code from} does not exist, {@link StorageException.AlreadyExists} if {@code to} does.
     */
    public RepoInfo move(RepoName from, RepoName to, String author) {
        RepoInfo source = info(from).orElseThrow(() -> new StorageException.NotFound("repository " + from + " not found"));
        Map<Ref, String> heads = heads(from);
        RepoInfo moved = new RepoInfo(to, source.createdBy(), source.created(), source.isPrivate());
        // Claims the name first, as create does: of two moves (or a create) to one name exactly one wins.
        if (!s3.putIfAbsent(repoKey(to), StoredJson.write(moved))) {
            throw new StorageException.AlreadyExists("repository " + to + " already exists");
        }
        List<Ref> retired = new ArrayList<>();
        Map<String, String> rewritten = new HashMap<>();
        Set<Digest> held = new HashSet<>();
        try {
            for (String id : heads.values()) rewrite(from, to, id, rewritten, held);
            access.copyUploads(from, to);
            access.recordHeld(to, held);
            heads.forEach((ref, id) ->
                    refs.compareAndSet(new Ref(to, ref.kind(), ref.name()), null, rewritten.get(id), author));
            if (!heads(from).equals(heads)) throw moved(heads, heads(from));
            // The commit point: each source ref goes only if it is still where the copy found it.
            for (Map.Entry<Ref, String> head : heads.entrySet()) {
                refs.delete(head.getKey(), head.getValue(), author);
                retired.add(head.getKey());
            }
            Map<Ref, String> appeared = heads(from);
            if (!appeared.isEmpty()) throw moved(Map.of(), appeared);
        } catch (RuntimeException e) {
            for (Ref ref : retired) {
                try {
                    restore(ref, heads.get(ref), author);
                } catch (StorageException notRestored) {
                    e.addSuppressed(notRestored); // the target still goes: the source's ref log keeps its history
                }
            }
            // Also what no ref of the target reached yet: a later repository of its name must not resolve them.
            rewritten.values().forEach(id -> s3.delete(COMMITS + id));
            access.forgetHeld(to, held);
            delete(to);
            throw e;
        }
        delete(from);
        return moved;
    }

    /**
     * Puts a ref the failed move retired back at {@code head}. A push that began while the ref was retired found no
     * branch and started it afresh, from its own files only: its commits are replayed on top of {@code head} (the
     * push only added paths its base did not have, or it would have failed as a conflict), so it is kept as well.
     */
    private void restore(Ref ref, String head, String author) {
        String actual;
        try {
            refs.compareAndSet(ref, null, head, author);
            return;
        } catch (StorageException.RefConflict pushed) {
            actual = pushed.actual();
        }
        Deque<Commit> oldestFirst = new ArrayDeque<>();
        for (String id = actual; id != null && !id.equals(head); ) {
            Commit commit = read(ref.repo(), id);
            oldestFirst.push(commit);
            id = commit.parent();
        }
        Commit onto = read(ref.repo(), head);
        SortedMap<String, Blob> previous = new TreeMap<>();
        for (Commit pushed : oldestFirst) {
            SortedMap<String, Blob> files = new TreeMap<>(onto.files());
            for (String path : previous.keySet()) if (!pushed.files().containsKey(path)) files.remove(path);
            for (Map.Entry<String, Blob> file : pushed.files().entrySet()) {
                if (!file.getValue().equals(previous.get(file.getKey()))) files.put(file.getKey(), file.getValue());
            }
            Manifest made = pushed.manifest();
            onto = write(new Manifest(ref.repo(), onto.id(), files, made.author(), made.message(), made.time()));
            previous = pushed.files();
        }
        // Should yet another push win this race, the ref keeps it and its log keeps the history.
        refs.compareAndSet(ref, actual, onto.id(), author);
    }

    /** The conflict for a source ref that moved (or appeared) while its repository was being moved. */
    private static StorageException.RefConflict moved(Map<Ref, String> expected, Map<Ref, String> actual) {
        Set<Ref> all = new HashSet<>(expected.keySet());
        all.addAll(actual.keySet());
        Ref ref = all.stream().filter(r -> !Objects.equals(expected.get(r), actual.get(r))).findFirst().orElseThrow();
        return new StorageException.RefConflict(ref, expected.get(ref), actual.get(ref));
    }

    /** Every branch and tag of the repository with its commit. */
    private Map<Ref, String> heads(RepoName repo) {
        Map<Ref, String> heads = new LinkedHashMap<>();
        for (Ref.Kind kind : Ref.Kind.values()) {
            refs.list(repo, kind).forEach((name, id) -> heads.put(new Ref(repo, kind, name), id));
        }
        return heads;
    }

    /**
     * Writes {@code id} and its not yet rewritten ancestors as commits of {@code to}, oldest first, recording old id
     * to new id in {@code rewritten} and the blobs they list in {@code held}.
     */
    private void rewrite(RepoName from, RepoName to, String id, Map<String, String> rewritten, Set<Digest> held) {
        Deque<Commit> oldestFirst = new ArrayDeque<>();
        for (String next = id; next != null && !rewritten.containsKey(next); ) {
            Commit commit = read(from, next);
            oldestFirst.push(commit);
            next = commit.parent();
        }
        while (!oldestFirst.isEmpty()) {
            Manifest old = oldestFirst.peek().manifest();
            String parent = old.parent() == null ? null : rewritten.get(old.parent());
            Commit copy = write(new Manifest(to, parent, old.files(), old.author(), old.message(), old.time()));
            rewritten.put(oldestFirst.pop().id(), copy.id());
            old.files().values().forEach(blob -> held.add(blob.digest()));
        }
    }

    private void requireRepo(RepoName repo) {
        if (info(repo).isEmpty()) throw new StorageException.NotFound("repository " + repo + " not found");
    }

    // ---- commits ----------------------------------------------------------------------------------------------------

    /**
     * Makes a commit on a branch (creating the branch on its first commit) and returns it.
     *
     * <p>Every blob the change puts must already be uploaded with the stated size. When another commit lands on
     * the branch first, the change is re-applied on top of it as long as that commit left the changed paths as
     * they were in the author's base; if it touched one of them the result is a
     * {@link StorageException.CommitConflict} naming the paths, never a silent overwrite.
     */
    public Commit commit(CommitRequest request) {
        requireRepo(request.repo());
        for (Blob blob : request.changes().put().values()) {
            Blob stored = blobs.stat(blob.digest()).orElseThrow(() ->
                    new StorageException.NotFound("blob " + blob.digest() + " is not uploaded"));
            if (stored.size() != blob.size()) {
                throw new IllegalArgumentException("blob " + blob.digest() + " has " + stored.size()
                        + " bytes, not " + blob.size());
            }
        }
        // Recorded before the commit lands: a crash in between must not leave a commit whose blobs its repository
        // cannot offer. A commit that then fails to land gives nothing the committer was not already entitled to.
        access.recordHeld(request.repo(), request.changes().put().values().stream().map(Blob::digest).toList());
        Ref branch = Ref.branch(request.repo(), request.branch());
        String head = refs.resolve(branch).orElse(null);
        String baseId = request.base() != null ? request.base() : head;
        Commit base = baseId == null ? null : read(request.repo(), baseId);
        for (int attempt = 1; ; attempt++) {
            Commit current = Objects.equals(head, baseId) ? base : head == null ? null : read(request.repo(), head);
            requireUntouched(branch, request.changes(), base, current);
            SortedMap<String, Blob> files =
                    request.changes().applyTo(current == null ? new TreeMap<>() : current.files());
            Commit commit =
                    write(new Manifest(request.repo(), head, files, request.author(), request.message(), now()));
            try {
                refs.compareAndSet(branch, head, commit.id(), request.author());
                return commit;
            } catch (StorageException.RefConflict lost) {
                // The commit object written for the lost round stays behind unreferenced: small, and harmless.
                // A branch deleted meanwhile (or retired by a move) is not re-created from this change alone.
                if (attempt == MAX_ATTEMPTS || (head != null && lost.actual() == null)) throw lost;
                head = lost.actual();
                backOff(attempt);
            }
        }
    }

    /** Fails unless every changed path is in {@code current} as it was in {@code base}. */
    private static void requireUntouched(Ref branch, Changes changes, Commit base, Commit current) {
        if (Objects.equals(base, current)) return;
        List<String> clashing = new ArrayList<>();
        for (String path : changes.paths()) {
            Blob before = base == null ? null : base.files().get(path);
            Blob now = current == null ? null : current.files().get(path);
            if (!Objects.equals(before, now)) clashing.add(path);
        }
        if (!clashing.isEmpty()) {
            throw new StorageException.CommitConflict(branch, clashing, current == null ? null : current.id());
        }
    }

    /** A short random pause after a lost race, so the writers that keep colliding spread out. */
    private static void backOff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextInt(1, 1 + Math.min(attempt, 10) * 5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while retrying a commit", e);
        }
    }

    private Commit write(Manifest manifest) {
        byte[] json = StoredJson.write(manifest);
        String id = Digest.of(json).hex();
        // Content-addressed: an existing object with this id already holds these exact bytes.
        s3.putIfAbsent(COMMITS + id, json);
        return new Commit(id, manifest);
    }

    /** The commit with this id in this repository; {@link StorageException.NotFound} otherwise. */
    public Commit read(RepoName repo, String id) {
        Names.requireCommitId(id);
        String key = COMMITS + id;
        byte[] json = s3.get(key).orElseThrow(() -> new StorageException.NotFound("commit " + id + " not found"));
        if (!Digest.of(json).hex().equals(id)) {
            throw new StorageException("commit " + id + " is corrupt (its bytes hash to something else)");
        }
        Manifest manifest = StoredJson.read(json, Manifest.class, key);
        // Ids are global, but a commit is only visible through the repository it belongs to.
        if (!manifest.repo().equals(repo)) {
            throw new StorageException.NotFound("commit " + id + " not found in " + repo);
        }
        return new Commit(id, manifest);
    }

    /** A commit id, branch name or tag name (tried in that order) to its commit. */
    public Commit resolve(RepoName repo, String revision) {
        if (Names.isCommitId(revision)) return read(repo, revision);
        Names.requireRefName(revision);
        Optional<String> id = refs.resolve(Ref.branch(repo, revision))
                .or(() -> refs.resolve(Ref.tag(repo, revision)));
        return read(repo, id.orElseThrow(() ->
                new StorageException.NotFound("revision " + Names.quote(revision) + " not found in " + repo)));
    }

    /** Up to {@code limit} commits from {@code from} back through the parents, newest first. */
    public List<Commit> history(RepoName repo, String from, int limit) {
        List<Commit> commits = new ArrayList<>();
        for (String id = from; id != null && commits.size() < limit; ) {
            Commit commit = read(repo, id);
            commits.add(commit);
            id = commit.parent();
        }
        return commits;
    }

    // ---- branches and tags ------------------------------------------------------------------------------------------

    /** Creates a branch at a revision; {@link StorageException.AlreadyExists} if the branch exists. */
    public Commit createBranch(RepoName repo, String branch, String revision, String author) {
        return createRef(Ref.branch(repo, branch), revision, author);
    }

    /** Tags a revision; tags are never moved, so an existing tag gives {@link StorageException.AlreadyExists}. */
    public Commit tag(RepoName repo, String tag, String revision, String author) {
        return createRef(Ref.tag(repo, tag), revision, author);
    }

    private Commit createRef(Ref ref, String revision, String author) {
        requireRepo(ref.repo());
        Commit target = resolve(ref.repo(), revision);
        try {
            refs.compareAndSet(ref, null, target.id(), author);
        } catch (StorageException.RefConflict e) {
            throw new StorageException.AlreadyExists(ref + " already exists (at " + e.actual() + ")");
        }
        return target;
    }

    private Instant now() {
        // Millisecond precision keeps the JSON short and round-trips through every consumer unchanged.
        return options.clock().instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
