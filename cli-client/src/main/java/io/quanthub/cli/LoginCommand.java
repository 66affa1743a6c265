package io.quanthub.cli;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.SavedLogin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code quanthub login}: checks a hub URL and token, then saves them for the other commands. */
@Command(name = "login", mixinStandardHelpOptions = true,
        description = {"Save a hub URL and access token for the other commands, in a file only you can read.",
                "Without --token the token is read from standard input (not echoed on a terminal)."})
public final class LoginCommand implements Callable<Integer> {
    @Mixin
    HubOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Path file = options.configFile();
        Optional<SavedLogin> saved = SavedLogin.readDefault(file);
        String hub = HubOptions.first(options.hub, System.getenv("QUANTHUB_HUB"),
                saved.map(SavedLogin::hub).orElse(null));
        if (hub == null) throw new IllegalArgumentException("which hub? use 'quanthub login --hub URL'");
        URI base = HubClient.parseBase(hub);
        String token = options.token != null ? options.token : readToken();
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("no token given: pass --token TOKEN or type it on standard input");
        }
        // One cheap call checks the URL and the token before anything is saved (a bad token is a 401).
        new HubClient(base.toString(), token, HubClient.newHttpClient()).models(null, 1);
        new SavedLogin(base.toString(), token.strip()).write(file);
        spec.commandLine().getOut().println("logged in to " + base + " (saved in " + file + ")");
        spec.commandLine().getOut().flush();
        return 0;
    }

    private String readToken() throws IOException {
        Console console = System.console();
        if (console != null && console.isTerminal()) {
            char[] typed = console.readPassword("token: ");
            return typed == null ? null : new String(typed);
        }
        // A pipe, e.g. `echo $TOKEN | quanthub login --hub URL`: the first line.
        return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    }
}
