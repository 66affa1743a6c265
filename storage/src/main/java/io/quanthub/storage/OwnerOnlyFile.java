package io.quanthub.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes secrets to files (the admin token, the embedded S3 server's credentials) that are never readable by others,
 * not even for a moment: a temporary file created {@code rw-------}, then an atomic rename over the target.
 */
public final class OwnerOnlyFile {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private OwnerOnlyFile() {
    }

    /** Replaces {@code file} with {@code content} (UTF-8), creating its folder if missing. */
    public static void write(Path file, String content) throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        String prefix = file.getFileName().toString();
        Path temp;
        try {
            FileAttribute<Set<PosixFilePermission>> attribute = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
            temp = Files.createTempFile(folder, prefix, ".tmp", attribute);
        } catch (UnsupportedOperationException notPosix) {
            temp = Files.createTempFile(folder, prefix, ".tmp");
        }
        try {
            Files.writeString(temp, content, StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
