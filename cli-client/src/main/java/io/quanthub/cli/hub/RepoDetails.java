package io.quanthub.cli.hub;

import java.util.List;

/**
 * A repository at one revision ({@code GET /api/models/{org}/{name}?revision=}).
 *
 * @param sha          the commit the revision resolved to; null for a repository without commits
 * @param branches     branch names (the hub sends {@code {name: commit}})
 * @param tags         tag names, likewise
 * @param architecture null when unknown
 * @param parameters   null when unknown
 * @param ggufs        paths of the GGUF files among {@code files}
 */
public record RepoDetails(String id, boolean isPrivate, String sha, List<String> branches, List<String> tags,
                          List<RepoFile> files, String architecture, Long parameters, List<String> ggufs) {
    static RepoDetails of(JsonFields f) {
        String sha = f.optString("sha");
        if (sha != null && !Sha256.isHex(sha)) {
            throw new IllegalArgumentException(f.context() + ": sha is not a commit id: " + sha);
        }
        return new RepoDetails(f.string("id"), f.flag("private"), sha, f.keys("branches"), f.keys("tags"),
                f.objects("files").stream().map(RepoFile::of).toList(), f.optString("architecture"),
                f.optNumber("parameters"), f.strings("ggufs"));
    }

    public long totalSize() {
        return files.stream().mapToLong(RepoFile::size).sum();
    }
}
