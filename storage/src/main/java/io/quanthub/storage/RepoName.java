package io.quanthub.storage;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A model repository name, {@code owner/name} (for example {@code city96/flux.1-dev-gguf}), validated by
 * {@link Names}: each half starts with {@code [a-z0-9]}, uses only {@code [a-zA-Z0-9._-]}, has no {@code ..},
 * and there is exactly one slash.
 */
public record RepoName(String owner, String name) {
    public RepoName {
        String whole = owner + "/" + name;
        Names.requireRepoPart(owner == null ? "" : owner, "owner", Names.MAX_OWNER_LENGTH, whole);
        Names.requireRepoPart(name == null ? "" : name, "name", Names.MAX_REPO_LENGTH, whole);
    }

    /** Parses {@code owner/name}; anything else (no slash, two slashes, bad characters) is rejected. */
    @JsonCreator
    public static RepoName parse(String s) {
        if (s == null) throw new IllegalArgumentException("repository name is null");
        int slash = s.indexOf('/');
        if (slash < 0) throw new IllegalArgumentException("repository " + Names.quote(s) + " must be owner/name");
        if (s.indexOf('/', slash + 1) >= 0) {
            throw new IllegalArgumentException("repository " + Names.quote(s) + " has more than one '/'");
        }
        return new RepoName(s.substring(0, slash), s.substring(slash + 1));
    }

    @JsonValue
    @Override
    public String toString() {
        return owner + "/" + name;
    }
}
