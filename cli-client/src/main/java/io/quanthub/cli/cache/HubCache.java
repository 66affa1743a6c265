package io.quanthub.cli.cache;

import io.quanthub.cli.hub.SavedLogin;
import io.quanthub.cli.hub.ModelRef;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The local model cache, laid out like Hugging Face's so the same bytes are never stored twice:
 * <pre>
 * &lt;root&gt;/models--org--name/
 *     blobs/&lt;sha256&gt;                 the bytes, verified, read-only
 *     blobs/&lt;sha256&gt;.partial         a download in progress (+ .parts.json: its finished parts)
 *     snapshots/&lt;commit&gt;/&lt;path&gt;     relative symbolic links to ../../blobs/&lt;sha256&gt; (hard links where the
 *                                  file system has no symbolic links)
 *     refs/&lt;revision&gt;               the commit a branch or tag pointed to when last pulled
 * </pre>
 * The root is {@code $QUANTHUB_CACHE}, else {@code $XDG_CACHE_HOME/quanthub/hub}, else
 * {@code ~/.cache/quanthub/hub}.
 */
public final class HubCache {
    static final String REPO_PREFIX = "models--";

    private final Path root;

    public HubCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public static Path defaultRoot(Map<String, String> env, Path home) {
        String explicit = env.get("QUANTHUB_CACHE");
        if (explicit != null && !explicit.isBlank()) return Path.of(explicit);
        String xdg = env.get("XDG_CACHE_HOME");
        Path cacheHome = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".cache");
        return cacheHome.resolve("quanthub").resolve("hub");
    }

    public static Path defaultRoot() {
        return defaultRoot(System.getenv(), SavedLogin.home(System.getenv()));
    }

    public Path root() {
        return root;
    }

    /** The cache of one repository ({@code org/name}), whether or not anything of it is cached yet. */
    public RepoCache repo(String repo) {
        ModelRef ref = ModelRef.parseRepo(repo);
        return new RepoCache(root.resolve(REPO_PREFIX + ref.owner() + "--" + ref.name()), ref.repo());
    }

    /** Every cached repository, by name. */
    public List<RepoCache> repos() throws IOException {
        List<RepoCache> repos = new ArrayList<>();
        if (!Files.isDirectory(root)) return repos;
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.sorted().toList()) {
                String dirName = dir.getFileName().toString();
                if (!Files.isDirectory(dir) || !dirName.startsWith(REPO_PREFIX)) continue;
                // "models--org--name": the owner ends at the first "--" (as in Hugging Face's cache, an owner that
                // itself contains "--" is shown split differently, but its directory is still found by name).
                String rest = dirName.substring(REPO_PREFIX.length());
                int sep = rest.indexOf("--");
                if (sep <= 0) continue;
                repos.add(new RepoCache(dir, rest.substring(0, sep) + "/" + rest.substring(sep + 2)));
            }
        }
        return repos;
    }
}
