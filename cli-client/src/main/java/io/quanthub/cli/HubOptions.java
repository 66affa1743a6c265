package io.quanthub.cli;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.SavedLogin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where the hub is and how to sign in, shared by every remote command (a picocli mixin): each setting comes from
 * its option, else the environment ({@code QUANTHUB_HUB}, {@code QUANTHUB_TOKEN}), else what {@code quanthub login}
 * saved.
 */
public final class HubOptions {
    @Option(names = "--hub", paramLabel = "URL",
            description = "The hub, e.g. http://localhost:8080 (default: $QUANTHUB_HUB, else the one saved by login).")
    String hub;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Access token (default: $QUANTHUB_TOKEN, else the one saved by login).")
    String token;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The file login saves to (default: $XDG_CONFIG_HOME/quanthub/config.json, "
                    + "else $HOME/.config/quanthub/config.json).")
    Path config;

    /** A hub URL and its token (null for anonymous access). */
    record Connection(String hub, String token) {
    }

    Path configFile() {
        return config != null ? config : SavedLogin.defaultPath();
    }

    HubClient connect() throws IOException {
        Connection c = resolve(hub, token, System.getenv(), SavedLogin.readDefault(configFile()));
        return new HubClient(c.hub(), c.token(), HubClient.newHttpClient());
    }

    static Connection resolve(String hubOption, String tokenOption, Map<String, String> env,
                              Optional<SavedLogin> saved) {
        String hub = first(hubOption, env.get("QUANTHUB_HUB"), saved.map(SavedLogin::hub).orElse(null));
        if (hub == null) {
            throw new IllegalArgumentException(
                    "no hub given: use --hub URL, set QUANTHUB_HUB, or run 'quanthub login --hub URL'");
        }
        // A saved token belongs to the saved hub: it is never sent to another one.
        String savedToken = saved.filter(c -> c.hub() != null && sameHub(c.hub(), hub))
                .map(SavedLogin::token).orElse(null);
        return new Connection(hub, first(tokenOption, env.get("QUANTHUB_TOKEN"), savedToken));
    }

    static boolean sameHub(String a, String b) {
        return HubClient.parseBase(a).equals(HubClient.parseBase(b));
    }

    /** The first value that is set and not blank, or null. */
    static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) return v;
        }
        return null;
    }
}
