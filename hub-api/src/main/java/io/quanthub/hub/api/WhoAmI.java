package io.quanthub.hub.api;

import java.util.List;
import java.util.Map;

/**
 * The answer of {@code GET /api/whoami}.
 *
 * @param token the token's name
 * @param admin a hub administrator's token with the admin scope
 * @param orgs  the user's organisations and its role in each
 */
public record WhoAmI(String user, String token, List<String> scopes, boolean admin, Map<String, String> orgs) {}
