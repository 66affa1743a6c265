package io.quanthub.hub.api;

import java.util.List;

/**
 * The body of {@code POST /api/tokens}.
 *
 * @param scopes read, write, admin
 * @param user   whose token; the caller's own when null
 */
public record CreateToken(String name, List<String> scopes, String user) {}
