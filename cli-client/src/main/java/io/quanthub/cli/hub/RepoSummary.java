package io.quanthub.cli.hub;

/**
 * One repository in a listing ({@code GET /api/models}).
 *
 * @param architecture null when the hub does not know it
 * @param size         bytes of the files on main; null when not given
 * @param lastModified ISO-8601 instant of the last commit, or null
 */
public record RepoSummary(String id, boolean isPrivate, String architecture, Long size, String lastModified) {
    static RepoSummary of(JsonFields f) {
        return new RepoSummary(f.string("id"), f.flag("private"), f.optString("architecture"), f.optNumber("size"),
                f.optString("lastModified"));
    }
}
