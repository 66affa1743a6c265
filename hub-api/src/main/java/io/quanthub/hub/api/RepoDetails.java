package io.quanthub.hub.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.quanthub.storage.Names;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A repository at one revision ({@code GET /api/models/{org}/{name}?revision=}).
 *
 * @param sha          the commit the revision resolved to; null for a repository without commits
 * @param branches     {@code {name: commit}}
 * @param tags         {@code {name: commit}}
 * @param architecture null when unknown
 * @param parameters   null when unknown
 * @param ggufs        paths of the valid GGUF files among {@code files}
 * @param quants       the available levels, best first
 * @param textEncoders the text encoders the model uses, resolved for the caller
 */
public record RepoDetails(String id, @JsonProperty("private") boolean isPrivate, String createdBy, Instant created,
                          String revision, String sha, Instant lastModified, String author, String message,
                          Map<String, String> branches, Map<String, String> tags, List<RepoFile> files,
                          String architecture, Long parameters, List<String> ggufs, List<String> quants,
                          List<TextEncoder> textEncoders) {
    public RepoDetails {
        if (sha != null && !Names.isCommitId(sha)) throw new IllegalArgumentException("sha is not a commit id: " + sha);
        branches = branches == null ? Map.of() : branches;
        tags = tags == null ? Map.of() : tags;
        files = files == null ? List.of() : files;
        ggufs = ggufs == null ? List.of() : ggufs;
        quants = quants == null ? List.of() : quants;
        textEncoders = textEncoders == null ? List.of() : textEncoders;
    }

    /** Bytes of all its files. */
    public long totalSize() {
        return files.stream().mapToLong(RepoFile::size).sum();
    }
}
