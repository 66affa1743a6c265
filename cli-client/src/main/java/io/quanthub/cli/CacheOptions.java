package io.quanthub.cli;

import io.quanthub.cli.cache.HubCache;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The local cache's location, shared by {@code pull} and {@code cache} (a picocli mixin). */
public final class CacheOptions {
    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "The local cache (default: $QUANTHUB_CACHE, else $XDG_CACHE_HOME/quanthub/hub, "
                    + "else ~/.cache/quanthub/hub).")
    Path cacheDir;

    HubCache cache() {
        return new HubCache(cacheDir != null ? cacheDir : HubCache.defaultRoot());
    }
}
