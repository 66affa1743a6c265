package io.quanthub.storage;

import java.util.Collection;
import java.util.List;

/**
 * What makes a blob readable through a repository: Git LFS's rule. Blobs are stored once per content, for every
 * repository, so knowing a digest must not be enough to put someone else's bytes into a commit (and then read them
 * through it). A commit to a repository may reference a blob only if it was uploaded to that repository, or if the
 * committer can already read a repository whose history holds it. This class keeps the two facts that rule needs,
 * as empty marker objects:
 * <ul>
 *   <li>{@code access/uploaded/<owner>/<name>/<hex>}: the blob was uploaded to the repository (by someone allowed to
 *       write there, who sent every byte);</li>
 *   <li>{@code access/held/<hex>/<owner>/<name>}: a commit of the repository lists the blob.</li>
 * </ul>
 * A repository that held a blob once keeps offering it, as its history does; its markers go only when it is deleted
 * or moved (a new repository of its name starts afresh). Whether a caller can read a holder is the hub's decision.
 * All methods block.
 */
public final class BlobAccess {
    static final String PREFIX = "access/";
    private static final String UPLOADED = PREFIX + "uploaded/";
    private static final String HELD = PREFIX + "held/";
    private static final byte[] MARKER = new byte[0];

    private final ObjectStore s3;

    BlobAccess(ObjectStore s3) {
        this.s3 = s3;
    }

    private static String uploadedKey(RepoName repo, Digest digest) {
        return UPLOADED + repo.owner() + "/" + repo.name() + "/" + digest.hex();
    }

    private static String heldPrefix(Digest digest) {
        return HELD + digest.hex() + "/";
    }

    /** Records that every byte of {@code digest} was uploaded to {@code repo}. */
    public void recordUpload(RepoName repo, Digest digest) {
        s3.putIfAbsent(uploadedKey(repo, digest), MARKER);
    }

    /** Forgets every upload to {@code repo} (the repository is deleted: a new one of its name starts afresh). */
    public void forgetUploads(RepoName repo) {
        s3.list(UPLOADED + repo.owner() + "/" + repo.name() + "/").forEach(info -> s3.delete(info.key()));
    }

    /** Records every upload to {@code from} as an upload to {@code to} as well (a repository moving to a new name). */
    public void copyUploads(RepoName from, RepoName to) {
        String prefix = UPLOADED + from.owner() + "/" + from.name() + "/";
        s3.list(prefix).forEach(info -> recordUpload(to, new Digest(info.key().substring(prefix.length()))));
    }

    /** Whether {@code digest} was uploaded to {@code repo}. */
    public boolean uploadedTo(RepoName repo, Digest digest) {
        return s3.stat(uploadedKey(repo, digest)).isPresent();
    }

    /** Records that a commit of {@code repo} lists these blobs. */
    public void recordHeld(RepoName repo, Collection<Digest> digests) {
        for (Digest digest : digests) {
            s3.putIfAbsent(heldPrefix(digest) + repo.owner() + "/" + repo.name(), MARKER);
        }
    }

    /** Forgets that {@code repo} holds these blobs (the repository is deleted or moved). */
    public void forgetHeld(RepoName repo, Collection<Digest> digests) {
        for (Digest digest : digests) s3.delete(heldPrefix(digest) + repo.owner() + "/" + repo.name());
    }

    /** The repositories whose history holds {@code digest}, in name order. */
    public List<RepoName> holders(Digest digest) {
        String prefix = heldPrefix(digest);
        return s3.list(prefix).map(info -> RepoName.parse(info.key().substring(prefix.length()))).toList();
    }
}
