package io.quanthub.cli.hub;

/** One file of a repository revision: its path, size and sha256 (bare hex). */
public record RepoFile(String path, long size, String sha256) {
    public RepoFile {
        RepoPaths.require(path);
        if (size < 0) throw new IllegalArgumentException("file " + path + ": negative size " + size);
        if (!Sha256.isHex(sha256)) throw new IllegalArgumentException("file " + path + ": bad sha256 " + sha256);
    }

    /** From the hub's {@code {path, size, digest}}. */
    static RepoFile of(JsonFields f) {
        String path = f.string("path");
        return new RepoFile(path, f.number("size"), Sha256.parse(f.string("digest"), "digest of " + path));
    }
}
