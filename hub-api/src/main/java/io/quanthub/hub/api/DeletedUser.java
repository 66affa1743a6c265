package io.quanthub.hub.api;

/** The answer of {@code DELETE /api/users/{user}}: the user and how many of its tokens went with it. */
public record DeletedUser(String name, int tokensRevoked) {}
