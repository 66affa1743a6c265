package io.quanthub.storage;

import java.util.Optional;
import java.util.SortedMap;

/** A stored commit: its id (sha256 of the manifest's canonical JSON) and the manifest. */
public record Commit(String id, Manifest manifest) {
    public Commit {
        Names.requireCommitId(id);
    }

    public SortedMap<String, Blob> files() {
        return manifest.files();
    }

    public Optional<Blob> file(String path) {
        return Optional.ofNullable(manifest.files().get(path));
    }

    /** The parent commit id, or null for a repository's first commit. */
    public String parent() {
        return manifest.parent();
    }
}
