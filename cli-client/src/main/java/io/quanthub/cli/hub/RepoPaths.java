package io.quanthub.cli.hub;

import java.nio.file.Path;

/**
 * File paths inside a repository ({@code dir/file.gguf}), which the CLI turns into paths on the user's disk. A path
 * from the hub or from a local directory walk must stay inside the directory it is resolved against, so the rules
 * are the hub's: '/'-separated, relative, no empty, {@code .} or {@code ..} segments, no backslash or NUL.
 */
public final class RepoPaths {
    private RepoPaths() {}

    public static String require(String path) {
        if (path == null || path.isEmpty()) throw new IllegalArgumentException("empty file path");
        if (path.indexOf('\\') >= 0 || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("file path '" + path + "' contains a backslash or NUL");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException(
                        "file path '" + path + "' must be relative with no empty, '.' or '..' segments");
            }
        }
        return path;
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
