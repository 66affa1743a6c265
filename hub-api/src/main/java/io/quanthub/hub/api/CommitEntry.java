package io.quanthub.hub.api;

import java.time.Instant;

/** One commit of {@code GET /api/models/{org}/{name}/commits}; {@code files} counts its files. */
public record CommitEntry(String id, String parent, String author, String message, Instant time, int files) {}
