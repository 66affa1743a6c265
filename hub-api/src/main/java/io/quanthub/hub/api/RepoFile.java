package io.quanthub.hub.api;

import io.quanthub.storage.Digest;
import io.quanthub.storage.Names;

/**
 * One file of a repository revision. The path is checked by the hub's own rules ({@link Names#requireFilePath}) on
 * both sides: a client turns it into a path on the user's disk.
 */
public record RepoFile(String path, long size, Digest digest) {
    public RepoFile {
        Names.requireFilePath(path);
        if (size < 0) throw new IllegalArgumentException("file " + path + ": negative size " + size);
        if (digest == null) throw new IllegalArgumentException("file " + path + ": no digest");
    }

    /** The bare 64 hex of the file's sha256 (headers and cache file names use that form). */
    public String sha256() {
        return digest.hex();
    }
}
