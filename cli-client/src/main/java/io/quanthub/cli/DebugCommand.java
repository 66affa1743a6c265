package io.quanthub.cli;

import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.flux.FluxInputs;
import io.quanthub.inference.flux.FluxModel;
import io.quanthub.inference.model.ModelWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code quanthub debug ...}: single model calls, for comparing our inference with a reference implementation. */
@Command(name = "debug", mixinStandardHelpOptions = true,
        description = "Run single model calls for comparison with reference implementations.",
        subcommands = DebugCommand.FluxForward.class)
public final class DebugCommand {
    /** {@code quanthub debug flux-forward}: one Flux transformer call from saved inputs. */
    @Command(name = "flux-forward", mixinStandardHelpOptions = true,
            description = "Run one Flux transformer call on the CPU and write its output as tensor 'out'.")
    static final class FluxForward implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "MODEL",
                description = "The transformer: a .gguf (any quantization) or .safetensors with BFL tensor names.")
        Path model;

        @Option(names = "--inputs", required = true, paramLabel = "FILE",
                description = "safetensors with img, img_ids, txt, txt_ids, y, timesteps and guidance (batch 1).")
        Path inputs;

        @Option(names = "--out", required = true, paramLabel = "FILE",
                description = "safetensors file to write, holding 'out' [1, img tokens, out channels].")
        Path out;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            FluxInputs in = FluxInputs.readSafetensors(inputs);
            try (ModelWeights weights = ModelWeights.open(model)) {
                FluxModel flux = new FluxModel(weights, new CpuBackend());
                float[] velocity = flux.forward(in);
                long[] shape = {1, in.imgTokens(), flux.config().outChannels()};
                new SafetensorsWriter().addF32("out", shape, velocity).write(out);
            }
            spec.commandLine().getOut().println("wrote " + out);
            return 0;
        }
    }
}
