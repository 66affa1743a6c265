package io.quanthub.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code quanthub admin}: hub administration with an admin token, one subcommand each. */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = "Hub administration (needs a token with the admin scope).",
        subcommands = {AdminGcCommand.class})
public final class AdminCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "admin needs a subcommand: gc");
    }
}
