package io.quanthub.cli;

import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.flux.FluxInputs;
import io.quanthub.inference.flux.FluxModel;
import io.quanthub.inference.io.AtomicFile;
import io.quanthub.inference.model.FloatTensor;
import io.quanthub.inference.model.ModelWeights;
import io.quanthub.inference.pipeline.Conditioning;
import io.quanthub.inference.pipeline.FluxPipeline;
import io.quanthub.inference.pipeline.Generation;
import io.quanthub.inference.pipeline.Png;
import io.quanthub.inference.pipeline.StepListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code quanthub debug ...}: single model calls, for comparing our inference with a reference implementation. */
@Command(name = "debug", mixinStandardHelpOptions = true,
        description = "Run single model calls for comparison with reference implementations.",
        subcommands = {DebugCommand.FluxForward.class, DebugCommand.FluxSample.class, EncodeTextCommand.class})
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

        @picocli.CommandLine.Mixin
        BackendOption backend;

        @Override
        public Integer call() throws IOException {
            FluxInputs in = FluxInputs.readSafetensors(inputs);
            try (ModelWeights weights = ModelWeights.open(model); ComputeBackend b = backend.create()) {
                FluxModel flux = new FluxModel(weights, b);
                BackendOption.announce(b, spec.commandLine().getErr());
                float[] velocity = flux.forward(in);
                long[] shape = {1, in.imgTokens(), flux.config().outChannels()};
                AtomicFile.write(out, new SafetensorsWriter().addF32("out", shape, velocity).bytes());
            }
            spec.commandLine().getOut().println("wrote " + out);
            return 0;
        }
    }

    /** {@code quanthub debug flux-sample}: the whole sampler and the VAE decode from saved noise and prompt. */
    @Command(name = "flux-sample", mixinStandardHelpOptions = true,
            description = "Sample a Flux latent from saved noise and prompt embeddings (Euler, BFL schedule) and decode"
                    + " it with the VAE, on the CPU; writes tensors 'latent' (packed) and 'image' (unclamped).")
    static final class FluxSample implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "MODEL",
                description = "The transformer: a .gguf (any quantization) or .safetensors with BFL tensor names.")
        Path model;

        @Option(names = "--vae", required = true, paramLabel = "VAE",
                description = "The autoencoder (decoder.* tensors): .safetensors or .gguf.")
        Path vae;

        @Option(names = "--inputs", required = true, paramLabel = "FILE",
                description = "safetensors with noise [1, 16, h, w] (fixes the latent size), txt [1, L, ctx], y [1, vec].")
        Path inputs;

        @Option(names = "--steps", defaultValue = "4", paramLabel = "N", description = "Euler steps (default: 4).")
        int steps;

        @Option(names = "--guidance", defaultValue = "3.5", paramLabel = "G",
                description = "Distilled guidance, for models with guidance_in (default: 3.5).")
        float guidance;

        @Option(names = "--out", required = true, paramLabel = "FILE",
                description = "safetensors file to write: latent [1, tokens, 64] and image [1, 3, H, W].")
        Path out;

        @Option(names = "--png", paramLabel = "FILE",
                description = "Also write the image as PNG (clamped to [-1, 1], 127.5 * (x + 1) as BFL's cli does).")
        Path png;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin
        BackendOption backend;

        @Override
        public Integer call() throws IOException {
            Map<String, FloatTensor> tensors = FloatTensor.readSafetensors(inputs);
            String source = inputs.getFileName().toString();
            Conditioning cond = Conditioning.of(tensors, source);
            long[] noiseShape = FloatTensor.require(tensors, "noise", source).shape();
            if (noiseShape.length != 4 || noiseShape[0] != 1) {
                throw new IllegalArgumentException(source + ": noise must be [1, channels, height, width]");
            }
            int height = (int) noiseShape[2];
            int width = (int) noiseShape[3];
            PrintWriter err = spec.commandLine().getErr();
            ComputeBackend b = backend.create();
            try (FluxPipeline pipeline = FluxPipeline.open(model, vae, b)) {
                if (noiseShape[1] != pipeline.vaeConfig().zChannels()) {
                    throw new IllegalArgumentException(source + ": noise has " + noiseShape[1]
                            + " channels, the VAE decodes " + pipeline.vaeConfig().zChannels());
                }
                Generation g = pipeline.generate(cond, tensors.get("noise").values(), height, width, steps, guidance,
                        new StepListener() {
                            long elapsed;

                            @Override
                            public void onStep(int step, int total, float t, long millis) {
                                // Once the engine has run: bad settings still fail with one line.
                                if (step == 1) BackendOption.announce(b, err);
                                elapsed += millis;
                                long eta = elapsed / step * (total - step) / 1000;
                                err.printf(Locale.ROOT, "step %d/%d  t=%.4f  %d ms  ETA %s%n", step, total, t, millis,
                                        ProgressBar.duration(eta));
                                err.flush();
                            }

                            @Override
                            public void onDecoded(long millis) {
                                err.printf(Locale.ROOT, "decoded in %d ms%n", millis);
                                err.flush();
                            }
                        });
                long tokens = (long) height / 2 * (width / 2);
                SafetensorsWriter result = new SafetensorsWriter()
                        .addF32("latent", new long[] {1, tokens, g.latent().length / tokens}, g.latent())
                        .addF32("image", new long[] {1, 3, g.image().height(), g.image().width()},
                                g.image().planes());
                AtomicFile.write(out, result.bytes());
                if (png != null) Png.write(g.image(), png);
            }
            spec.commandLine().getOut().println("wrote " + out + (png == null ? "" : " and " + png));
            return 0;
        }
    }
}
