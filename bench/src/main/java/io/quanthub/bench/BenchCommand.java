package io.quanthub.bench;

import io.quanthub.cli.ExtraCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code quanthub bench}: the benchmarks, one subcommand each. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks, each against a reference measured in the same run.",
        subcommands = {BenchQuantizeCommand.class, BenchConvertCommand.class, BenchPullCommand.class,
                BenchMatmulCommand.class, BenchFluxStepsCommand.class, BenchFluxForwardCommand.class,
                BenchClusterCommand.class, BenchHistoryCommand.class})
public final class BenchCommand implements Runnable, ExtraCommand {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "bench needs a subcommand: quantize, convert, pull, matmul, "
                + "flux-steps, flux-forward, cluster or history");
    }
}
