package io.quanthub.cli.pull;

import io.quanthub.cli.ProgressBar;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The free-space check made before writing anything big, so a download fails at once instead of at 97%. */
public final class DiskSpace {
    private DiskSpace() {}

    /**
     * Fails with a one-line message when the file system holding {@code dir} has fewer than {@code bytes} usable
     * bytes; {@code what} names the job, e.g. "pulling org/name:Q8_0".
     */
    public static void require(Path dir, long bytes, String what) throws IOException {
        long usable = usable(dir);
        if (bytes > usable) {
            throw new IOException("not enough disk space for " + what + ": needs " + ProgressBar.bytes(bytes)
                    + ", only " + ProgressBar.bytes(usable) + " free in " + dir.toAbsolutePath());
        }
    }

    /** Usable bytes on the file system that holds {@code dir}, or would hold it once created. */
    public static long usable(Path dir) throws IOException {
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) throw new IOException("no existing directory above " + dir);
        return Files.getFileStore(existing).getUsableSpace();
    }
}
