package io.quanthub.hub.api;

import java.time.Instant;

/** A user ({@code POST, GET /api/users}); {@code admin}: a hub administrator. */
public record User(String name, boolean admin, String createdBy, Instant created) {}
