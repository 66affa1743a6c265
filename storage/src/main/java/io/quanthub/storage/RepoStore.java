package io.quanthub.storage;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
     * Deletes a repository: its commits, its refs with their logs, the record of what was uploaded to it, then the
     * repository record, so that a new repository of the same name starts with nothing of this one (no branch, no
     * commit id that resolves, no blob it may reference). The blobs stay until garbage collection finds them
     * unreferenced. {@link StorageException.NotFound} if there is no such repository.
     */
    public void delete(RepoName repo) {
        requireRepo(repo);
        java.util.Set<String> commits = new java.util.HashSet<>();
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
                        id = manifest.parent();
                    }
                }
            }
        }
        for (String id : commits) s3.delete(COMMITS + id);
        s3.list(refsPrefix).forEach(info -> s3.delete(info.key()));
        access.forgetUploads(repo);
        s3.delete(repoKey(repo));
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
                if (attempt == MAX_ATTEMPTS) throw lost;
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
