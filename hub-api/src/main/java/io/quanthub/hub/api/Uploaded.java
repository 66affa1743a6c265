package io.quanthub.hub.api;

import io.quanthub.storage.Digest;

/** The answer of {@code PUT /api/models/{org}/{name}/uploads}: the blob as stored. */
public record Uploaded(Digest digest, long size) {}
