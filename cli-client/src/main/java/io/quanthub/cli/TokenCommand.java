package io.quanthub.cli;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.hub.api.CreatedToken;
import io.quanthub.hub.api.TokenSummary;
import java.util.Objects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code quanthub token create|list|revoke}: the API tokens of the signed-in user (or, for an admin, anyone's). */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Make, list and revoke API tokens. A token belongs to a user and acts within what that user "
                + "may see and write.",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
public final class TokenCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Make a token and print its secret: the only time anyone sees it.",
                    "A token never gets a scope the signing-in token lacks; --user needs a hub administrator."})
    static final class Create implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Option(names = "--name", required = true, paramLabel = "NAME", description = "What the token is for.")
        String name;

        @Option(names = "--scope", required = true, split = ",", paramLabel = "SCOPE",
                description = "read, write and/or admin, comma-separated.")
        List<String> scopes;

        @Option(names = "--user", paramLabel = "USER", description = "Whose token (default: yours).")
        String user;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            CreatedToken made = hub.connect().createToken(name, scopes, user);
            // The secret alone on standard output, so that TOKEN=$(quanthub token create ...) works.
            PrintWriter out = spec.commandLine().getOut();
            out.println(made.token());
            out.flush();
            PrintWriter err = spec.commandLine().getErr();
            err.println("token '" + made.name() + "' of " + made.user() + " (" + String.join(", ", made.scopes())
                    + "), id " + made.id()
                    + ": shown once, keep it safe");
            err.flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List tokens: id, name, scopes, creation (never a secret).")
    static final class ListTokens implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Option(names = "--user", paramLabel = "USER", description = "Whose tokens (default: yours; admin).")
        String user;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            List<TokenSummary> tokens = hub.connect().tokens(user);
            PrintWriter out = spec.commandLine().getOut();
            if (tokens.isEmpty()) {
                out.println("no tokens");
            } else {
                TextTable table = new TextTable("ID", "NAME", "USER", "SCOPES", "CREATED BY", "CREATED");
                for (TokenSummary t : tokens) {
                    table.row(t.id(), t.name(), t.user(), String.join(",", t.scopes()), t.createdBy(),
                            Objects.toString(t.created(), null));
                }
                table.print(out, "");
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a token by id or name; every hub refuses it within a second.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Parameters(index = "0", paramLabel = "TOKEN", description = "The token's id or name (see 'token list').")
        String token;

        @Option(names = "--user", paramLabel = "USER", description = "Whose token (default: yours; admin).")
        String user;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            HubClient client = hub.connect();
            TokenSummary revoked = client.revokeToken(token, user);
            PrintWriter out = spec.commandLine().getOut();
            out.println("revoked token '" + revoked.name() + "' (id " + revoked.id() + ") of " + revoked.user());
            out.flush();
            return 0;
        }
    }
}
