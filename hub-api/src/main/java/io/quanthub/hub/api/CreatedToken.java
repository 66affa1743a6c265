package io.quanthub.hub.api;

import java.time.Instant;
import java.util.List;

/** The answer of {@code POST /api/tokens}: the {@link TokenSummary}'s fields and the secret, shown this once. */
public record CreatedToken(String token, String id, String name, String user, List<String> scopes, String createdBy,
                           Instant created) {
    public static CreatedToken of(String secret, TokenSummary t) {
        return new CreatedToken(secret, t.id(), t.name(), t.user(), t.scopes(), t.createdBy(), t.created());
    }
}
