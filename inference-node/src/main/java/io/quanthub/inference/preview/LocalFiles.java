package io.quanthub.inference.preview;

import java.io.IOException;
import java.nio.file.Path;

/** Blobs as local files, by digest, kept while pinned: what a node renders and encodes from ({@link ModelFiles}). */
interface LocalFiles {
    /** The local file of a blob ({@code sha256:<hex>}), fetched first if needed. */
    Path get(String digest) throws IOException;

    /** Keeps these files until {@link #unpin}. */
    void pin(String... digests);

    void unpin(String... digests);
}
