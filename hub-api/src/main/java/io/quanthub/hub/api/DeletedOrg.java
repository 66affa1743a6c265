package io.quanthub.hub.api;

/** The answer of {@code DELETE /api/orgs/{org}}. */
public record DeletedOrg(String deleted) {}
