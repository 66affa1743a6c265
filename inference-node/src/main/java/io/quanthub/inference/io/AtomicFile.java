package io.quanthub.inference.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Output files that appear whole or not at all. */
public final class AtomicFile {
    private AtomicFile() {
    }

    /**
     * Writes {@code bytes} to {@code target.part} next to it, then renames that over {@code target} in one step; on
     * failure the partial file is removed and {@code target} is left as it was.
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + ".part");
        try {
            Files.write(temp, bytes);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
