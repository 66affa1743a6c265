package io.quanthub.hub.api;

/** The body of {@code POST /api/users}; {@code admin} null means false. */
public record CreateUser(String name, Boolean admin) {}
