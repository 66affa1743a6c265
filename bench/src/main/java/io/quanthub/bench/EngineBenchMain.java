package io.quanthub.bench;

import picocli.CommandLine;

import java.util.Arrays;

/**
 * {@code bench flux-steps} and {@code bench flux-forward} without the rest of the command line: their classes need
 * only the engine's jars, while {@code quanthub}'s picocli model loads every command's (Hazelcast, Vert.x, S3). A GPU
 * machine without network gets just these jars and TornadoVM's SDK (scripts/gpu-check.sh packs them), within what
 * can be carried to it.
 */
public final class EngineBenchMain {
    private EngineBenchMain() {
    }

    public static void main(String[] args) {
        String name = args.length == 0 ? "" : args[0];
        Object command = switch (name) {
            case "flux-steps" -> new BenchFluxStepsCommand();
            case "flux-forward" -> new BenchFluxForwardCommand();
            default -> null;
        };
        if (command == null) {
            System.err.println("usage: EngineBenchMain flux-steps|flux-forward [OPTIONS]");
            System.exit(2);
        }
        CommandLine cli = new CommandLine(command);
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("bench " + name + ": " + e.getMessage());
            return 1;
        });
        System.exit(cli.execute(Arrays.copyOfRange(args, 1, args.length)));
    }
}
