package io.quanthub.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.ServiceLoader;

/** The {@code quanthub} command line: one subcommand per capability. */
@Command(name = "quanthub", mixinStandardHelpOptions = true, version = "quanthub 0.1.0",
        description = "Quantized diffusion models: convert, inspect, host and pull GGUF variants.",
        subcommands = {
                CommandLine.HelpCommand.class,
                AdminCommand.class,
                ConvertCommand.class,
                ConverterCommand.class,
                DebugCommand.class,
                DemoModelCommand.class,
                InspectCommand.class,
                LoginCommand.class,
                TokenCommand.class,
                LsCommand.class,
                InfoCommand.class,
                PushCommand.class,
                PullCommand.class,
                PreviewCommand.class,
                CacheCommand.class,
                ServeCommand.class,
                InferenceNodeCommand.class,
        })
public final class QuantHubCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * One line per log record, as SLF4J's simple logger writes (S3Proxy, Hazelcast), for what logs through
     * {@link System.Logger} (the JDK's logging, whose default takes two lines per record).
     */
    static final String LOG_FORMAT = "%1$tY-%1$tm-%1$tdT%1$tH:%1$tM:%1$tS.%1$tL%1$tz %4$s %3$s - %5$s%6$s%n";

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", LOG_FORMAT);
        }
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (also used by tests to run commands in-process). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new QuantHubCli());
        // Before the handler below: picocli gives settings only to the subcommands present when they are made.
        for (ExtraCommand extra : ServiceLoader.load(ExtraCommand.class)) cli.addSubcommand(extra);
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // Users get one line that names the problem, not a stack trace.
            cmd.getErr().println("quanthub: " + describe(ex));
            if (System.getenv("QUANTHUB_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cli;
    }

    /** One line naming the problem; file-system exceptions carry only a path as their message, so say what it is. */
    static String describe(Exception ex) {
        return switch (ex) {
            case java.nio.file.NoSuchFileException e -> "no such file or directory: " + e.getFile();
            case java.nio.file.AccessDeniedException e -> "permission denied: " + e.getFile();
            case java.nio.file.FileAlreadyExistsException e when e.getReason() == null -> "already exists: " + e.getFile();
            case java.nio.file.NotDirectoryException e -> "not a directory: " + e.getFile();
            default -> ex.getMessage() != null ? ex.getMessage() : ex.toString();
        };
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
