package io.quanthub.cli.hub;

import io.quanthub.storage.Names;

import java.nio.file.Path;

/**
 * File paths inside a repository ({@code dir/file.gguf}), which the CLI turns into paths on the user's disk. A path
 * from the hub or from a local directory walk must stay inside the directory it is resolved against, so the rules
 * are the hub's ({@link Names#requireFilePath}).
 */
public final class RepoPaths {
    private RepoPaths() {}

    public static String require(String path) {
        return Names.requireFilePath(path);
    }

    /** {@code dir} joined with a checked repository path. */
    public static Path resolve(Path dir, String path) {
        Path resolved = dir.resolve(require(path)).normalize();
        if (!resolved.startsWith(dir.normalize())) {
            throw new IllegalArgumentException("file path '" + path + "' leaves " + dir);
        }
        return resolved;
    }

    /** A local file's repository path: its path below {@code root}, with '/' separators. */
    public static String of(Path root, Path file) {
        Path rel = root.relativize(file);
        StringBuilder sb = new StringBuilder();
        for (Path segment : rel) {
            if (!sb.isEmpty()) sb.append('/');
            sb.append(segment);
        }
        return require(sb.toString());
    }
}
