package io.quanthub.hub.api;

import java.time.Instant;
import java.util.Map;

/** An organisation ({@code POST, GET /api/orgs}) with {@code members: {user: role}}. */
public record Org(String name, String createdBy, Instant created, Map<String, String> members) {}
