package io.quanthub.storage;

import java.util.Objects;

/** Stored bytes, named by their sha256: the unit the blob store holds and a manifest points at. */
public record Blob(Digest digest, long size) {
    public Blob {
        Objects.requireNonNull(digest, "digest");
        if (size < 0) throw new IllegalArgumentException("negative blob size " + size);
    }
}
