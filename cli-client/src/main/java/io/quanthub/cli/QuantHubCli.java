package io.quanthub.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code quanthub} command line: one subcommand per capability. */
@Command(name = "quanthub", mixinStandardHelpOptions = true, version = "quanthub 0.1.0",
        description = "Quantized diffusion models: convert, inspect, host and pull GGUF variants.",
        subcommands = {
                CommandLine.HelpCommand.class,
                BenchCommand.class,
                ConvertCommand.class,
                InspectCommand.class,
                LoginCommand.class,
                LsCommand.class,
                InfoCommand.class,
                PushCommand.class,
                PullCommand.class,
                CacheCommand.class,
                ServeCommand.class,
        })
public final class QuantHubCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (also used by tests to run commands in-process). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new QuantHubCli());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // Users get one line that names the problem, not a stack trace.
            cmd.getErr().println("quanthub: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if (System.getenv("QUANTHUB_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
