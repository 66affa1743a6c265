package io.quanthub.hub.api;

import java.time.Instant;

/** The answer of {@code PUT /api/orgs/{org}/members/{user}}: a user's role (read, write) in an organisation. */
public record Membership(String org, String user, String role, String addedBy, Instant added) {}
