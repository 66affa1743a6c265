package io.quanthub.storage;

import java.util.Objects;

/** A branch or tag of a repository. Names are validated by {@link Names#requireRefName}. */
public record Ref(RepoName repo, Kind kind, String name) {
    public enum Kind {
        BRANCH("heads"),
        TAG("tags");

        /** The folder in the object key, as in git's refs/heads and refs/tags. */
        final String folder;

        Kind(String folder) {
            this.folder = folder;
        }
    }

    public Ref {
        Objects.requireNonNull(repo, "repo");
        Objects.requireNonNull(kind, "kind");
        Names.requireRefName(name);
    }

    public static Ref branch(RepoName repo, String name) {
        return new Ref(repo, Kind.BRANCH, name);
    }

    public static Ref tag(RepoName repo, String name) {
        return new Ref(repo, Kind.TAG, name);
    }

    @Override
    public String toString() {
        return (kind == Kind.BRANCH ? "branch " : "tag ") + name + " of " + repo;
    }
}
