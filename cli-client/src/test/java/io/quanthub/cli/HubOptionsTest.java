package io.quanthub.cli;

import io.quanthub.cli.cache.HubCache;
import io.quanthub.cli.hub.SavedLogin;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Where the hub, the token and the cache come from: options, then environment, then the saved config. */
class HubOptionsTest {
    private static final Optional<SavedLogin> SAVED = Optional.of(new SavedLogin("http://saved:8080", "saved-token"));

    @Test
    void optionsWinOverEnvironmentWhichWinsOverTheConfigFile() {
        Map<String, String> env = Map.of("QUANTHUB_HUB", "http://env:1", "QUANTHUB_TOKEN", "env-token");
        assertEquals(new HubOptions.Connection("http://opt:2", "opt-token"),
                HubOptions.resolve("http://opt:2", "opt-token", env, SAVED));
        assertEquals(new HubOptions.Connection("http://env:1", "env-token"),
                HubOptions.resolve(null, null, env, SAVED));
        assertEquals(new HubOptions.Connection("http://saved:8080", "saved-token"),
                HubOptions.resolve(null, null, Map.of(), SAVED));
    }

    @Test
    void theSavedTokenIsOnlySentToTheSavedHub() {
        assertNull(HubOptions.resolve("http://other:9", null, Map.of(), SAVED).token());
        assertEquals("saved-token", HubOptions.resolve("http://saved:8080/", null, Map.of(), SAVED).token());
    }

    @Test
    void cacheRootFollowsTheEnvironment() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/home/u/.cache/quanthub/hub"), HubCache.defaultRoot(Map.of(), home));
        assertEquals(Path.of("/xdg/quanthub/hub"), HubCache.defaultRoot(Map.of("XDG_CACHE_HOME", "/xdg"), home));
        assertEquals(Path.of("/models"),
                HubCache.defaultRoot(Map.of("QUANTHUB_CACHE", "/models", "XDG_CACHE_HOME", "/xdg"), home));
    }
}
