package io.quanthub.hub.api;

/** The body of {@code PUT /api/orgs/{org}/members/{user}}; {@code role} null means write. */
public record SetMember(String role) {}
