package io.quanthub.storage;

import java.util.Objects;

/**
 * A commit to make on a branch.
 *
 * @param base the commit the author's change is based on; null means the branch head when the commit starts.
 *             If the branch has moved past it, the change is applied on top of the new head as long as the commits
 *             in between did not touch the same paths (otherwise {@link StorageException.CommitConflict}).
 */
public record CommitRequest(RepoName repo, String branch, String base, Changes changes, String author,
                            String message) {
    public CommitRequest {
        Objects.requireNonNull(repo, "repo");
        Names.requireRefName(branch);
        if (base != null) Names.requireCommitId(base);
        Objects.requireNonNull(changes, "changes");
        if (author == null || author.isBlank()) throw new IllegalArgumentException("commit author is empty");
        Objects.requireNonNull(message, "message");
    }

    /** A commit on top of whatever the branch head is. */
    public static CommitRequest onHead(RepoName repo, String branch, Changes changes, String author, String message) {
        return new CommitRequest(repo, branch, null, changes, author, message);
    }
}
