package io.quanthub.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/**
 * {@code quanthub admin ...}: what a hub administrator (a token with the admin scope of a hub administrator) does.
 * Each subcommand is its own class; adding one is one line in {@code subcommands}.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = "Hub administration: users, organisations and their members, garbage collection (needs a hub administrator's "
                + "token with the admin scope).",
        subcommands = {
                AdminUserCommand.class,
                AdminOrgCommand.class,
                AdminGcCommand.class,
        })
public final class AdminCommand implements Runnable {
    @Spec
    CommandSpec spec;

    /** Prints one line and succeeds: what the subcommands answer. */
    static int say(CommandSpec spec, String line) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(line);
        out.flush();
        return 0;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
