package io.quanthub.hub.api;

import io.quanthub.storage.Digest;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /api/models/{org}/{name}/commits/{branch}}: uploaded blobs to add or replace by path, and
 * paths to delete.
 *
 * @param parent the head the change was based on, or null
 */
public record CommitBody(String message, String parent, Map<String, FileRef> files, List<String> deletes) {
    /** An uploaded blob; the hub checks both against what it stored. */
    public record FileRef(Digest digest, Long size) {}
}
