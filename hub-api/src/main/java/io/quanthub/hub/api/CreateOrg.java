package io.quanthub.hub.api;

/** The body of {@code POST /api/orgs}. */
public record CreateOrg(String name) {}
