package io.quanthub.cli.hub;

import io.quanthub.cli.cache.AtomicFiles;
import io.quanthub.hub.api.ApiJson;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * The login {@code quanthub login} saves and remote commands use unless told otherwise: the hub URL and token, in
 * {@code $XDG_CONFIG_HOME/quanthub/config.json} (default {@code ~/.config/quanthub/config.json}), readable by the
 * owner only since it holds a credential. (The hub's own settings are {@code io.quanthub.hub.HubConfig}.)
 *
 * @param token null when none was saved
 */
public record SavedLogin(String hub, String token) {
    /** The config file for an environment ({@code System.getenv()}) and home directory. */
    public static Path defaultPath(Map<String, String> env, Path home) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path configHome = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".config");
        return configHome.resolve("quanthub").resolve("config.json");
    }

    /** The config file for this process's environment. */
    public static Path defaultPath() {
        return defaultPath(System.getenv(), home(System.getenv()));
    }

    /**
     * The user's home: {@code $HOME} when set (what the shell and every other tool use; it can differ from Java's
     * {@code user.home}, which comes from the password database), else {@code user.home}.
     */
    public static Path home(Map<String, String> env) {
        String home = env.get("HOME");
        return home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"));
    }

    /**
     * The saved config at {@code file}; where that is the default file and it does not exist, the file an older
     * {@code login} saved under Java's {@code user.home}, if any.
     */
    public static Optional<SavedLogin> readDefault(Path file) throws IOException {
        Optional<SavedLogin> saved = read(file);
        if (saved.isPresent() || !file.equals(defaultPath())) return saved;
        return read(defaultPath(System.getenv(), Path.of(System.getProperty("user.home"))));
    }

    /** The saved config, or empty when the file does not exist. */
    public static Optional<SavedLogin> read(Path file) throws IOException {
        if (!Files.exists(file)) return Optional.empty();
        return Optional.of(ApiJson.read(Files.readString(file), SavedLogin.class, "config file " + file));
    }

    /** Writes the file atomically with owner-only permissions (directory 700, file 600 where POSIX). */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        if (!Files.isDirectory(dir)) {
            if (posix) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectories(dir);
            }
        }
        // The temporary file is created owner-only, so the token is never readable by others, not even briefly.
        FileAttribute<?>[] ownerOnly = posix
                ? new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        String json = ApiJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this);
        AtomicFiles.writeString(file, json + "\n", ownerOnly);
    }
}
