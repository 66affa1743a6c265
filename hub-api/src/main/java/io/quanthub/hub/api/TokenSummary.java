package io.quanthub.hub.api;

import java.time.Instant;
import java.util.List;

/**
 * A token as its user sees it ({@code GET /api/tokens}, {@code DELETE /api/tokens/{id}}): never the secret, nor the
 * whole hash; {@code id} is 12 hex digits of the secret's sha256.
 */
public record TokenSummary(String id, String name, String user, List<String> scopes, String createdBy,
                           Instant created) {}
