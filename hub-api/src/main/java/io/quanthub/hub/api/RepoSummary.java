package io.quanthub.hub.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * A repository in lists ({@code GET /api/models}, and the answer of {@code POST /api/repos}); {@code sha} and what
 * follows describe the head of {@code main} (absent when nothing is committed).
 *
 * @param size   bytes of the files on main
 * @param quants the available levels, best first
 */
public record RepoSummary(String id, @JsonProperty("private") boolean isPrivate, String createdBy, Instant created,
                          String sha, Instant lastModified, Long size, String architecture, Long parameters,
                          List<String> quants) {}
