package io.quanthub.storage;

import java.time.Instant;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The content of a commit: every file of the repository at that point (path to blob), the parent commit (null
 * for the first one), who made it, why and when. Stored as canonical JSON at {@code commits/<id>}, where the id
 * is the sha256 of exactly those bytes, so a commit cannot change without changing its id.
 */
public record Manifest(RepoName repo, String parent, SortedMap<String, Blob> files, String author, String message,
                       Instant time) {
    public Manifest {
        Objects.requireNonNull(repo, "repo");
        if (parent != null) Names.requireCommitId(parent);
        files.keySet().forEach(Names::requireFilePath);
        files = Collections.unmodifiableSortedMap(new TreeMap<>(files));
        Objects.requireNonNull(author, "author");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(time, "time");
    }
}
