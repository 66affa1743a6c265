package io.quanthub.cli;

import io.quanthub.inference.preview.DemoModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code quanthub demo-model DIR}: writes the small generated Flux model that {@code serve --demo} publishes, so a
 * first session has something to convert, push and pull without downloading a model.
 */
@Command(name = "demo-model", mixinStandardHelpOptions = true,
        description = {"Write a small generated Flux-architecture model (BF16 safetensors, about 10 MiB), its VAE "
                + "decoder and two conditioning sets into DIR: the model 'serve --demo' shows, made from a fixed "
                + "seed with no network."})
public final class DemoModelCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Folder to write into (created if missing).")
    Path dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(dir);
        PrintWriter out = spec.commandLine().getOut();
        for (String file : DemoModel.write(dir, DemoSetup.SEED)) {
            out.println("wrote " + dir.resolve(file) + " (" + ProgressBar.bytes(Files.size(dir.resolve(file))) + ")");
        }
        out.flush();
        return 0;
    }
}
