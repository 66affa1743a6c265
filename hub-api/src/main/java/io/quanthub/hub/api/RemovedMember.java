package io.quanthub.hub.api;

/** The answer of {@code DELETE /api/orgs/{org}/members/{user}}. */
public record RemovedMember(String org, String removed) {}
