package io.quanthub.cli;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.ModelRef;
import io.quanthub.hub.api.HubJob;
import io.quanthub.hub.api.Preview;
import io.quanthub.hub.api.PreviewBody;
import io.quanthub.hub.api.QuantTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code quanthub preview org/name[@rev][:QUANT] --prompt TEXT --out image.png}: renders a prompt with a quant level
 * on the hub's inference nodes, following the preview job's event stream with a progress bar, and writes the PNG.
 * The hub encodes the prompt with the model's text encoders; the same request, whoever asks, is the same job, so
 * asking again answers at once.
 */
@Command(name = "preview", mixinStandardHelpOptions = true,
        description = {"Render a prompt with a model's quant level on the hub and save the image (PNG).",
                "Without :QUANT the model's default level. The hub encodes the prompt with the text encoders the "
                        + "model names (quanthub info shows them); anonymous callers get small previews only."})
public final class PreviewCommand implements Callable<Integer> {
    @Mixin
    HubOptions hub;

    @Parameters(index = "0", paramLabel = "MODEL", description = "org/name[@revision][:QUANT]")
    String model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "What to render.")
    String prompt;

    @Option(names = "--seed", paramLabel = "N", description = "Noise seed (default: the hub's, 0).")
    Long seed;

    @Option(names = "--steps", paramLabel = "N", description = "Sampler steps (default: the hub's, 4).")
    Integer steps;

    @Option(names = "--width", paramLabel = "PX", description = "Width, a multiple of 16 (default: the hub's, 256).")
    Integer width;

    @Option(names = "--height", paramLabel = "PX", description = "Height, a multiple of 16 (default: the hub's, 256).")
    Integer height;

    @Option(names = "--t5-length", paramLabel = "N",
            description = "T5 tokens the prompt is padded to: 512 for Flux dev (the hub's default), 256 for schnell.")
    Integer t5Length;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the PNG.")
    Path out;

    @Option(names = "--progress", negatable = true, description = "Show a progress bar (default: on a terminal).")
    Boolean progress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ModelRef ref = ModelRef.parse(model);
        Path target = out.toAbsolutePath();
        if (Files.isDirectory(target)) throw new IllegalArgumentException("--out " + out + " is a directory");
        HubClient client = hub.connect();
        String quant = ref.quant() != null ? ref.quant() : defaultLevel(client, ref);
        PreviewBody body = new PreviewBody(seed, steps, width, height, null, prompt, t5Length);
        Preview preview = client.requestPreview(ref.repo(), ref.revision(), quant, body);
        PrintWriter stderr = spec.commandLine().getErr();
        HubJob job = follow(client, preview, stderr);
        if (job.state() != HubJob.State.DONE) {
            throw new IOException("the preview of " + ref.repo() + ":" + quant + " failed: "
                    + (job.reason() != null ? job.reason() : "job " + job.id() + " ended " + job.state().id()));
        }
        write(target, client.previewImage(job.id()));
        Preview done = client.preview(job.id());
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "%s  %s:%s, seed %d, %d steps, %dx%d%s%n", out, ref.repo(), quant, done.seed(),
                done.steps(), done.width(), done.height(), done.psnr() == null ? ""
                        : String.format(Locale.ROOT, ", PSNR %.1f dB against the source", done.psnr()));
        stdout.flush();
        return 0;
    }

    /** The level {@code org/name} without {@code :QUANT} stands for, as {@code pull} resolves it. */
    private static String defaultLevel(HubClient client, ModelRef ref) throws IOException {
        QuantTable table = client.quants(ref.repo(), ref.revisionOrDefault());
        if (table.defaultQuant() == null) {
            throw new IllegalArgumentException(ref.repo() + " has no quant level to preview: name one (" + ref.repo()
                    + ":Q8_0)");
        }
        return table.defaultQuant();
    }

    /** Follows the job to its end, the bar counting sampler steps (the hub reports progress as a fraction). */
    private HubJob follow(HubClient client, Preview preview, PrintWriter stderr) throws IOException {
        HubJob job = preview.job();
        if (job.finished()) return job;
        boolean interactive = progress != null ? progress : ProgressBar.interactiveByDefault();
        int total = preview.steps();
        ProgressBar bar = ProgressBar.counting(stderr, "preview", total, "steps", interactive);
        try {
            job = client.follow(job, j -> {
                bar.update(Math.round(j.progress() * total), j.state().id());
            });
        } catch (IOException | RuntimeException e) {
            bar.abandon();
            throw e;
        }
        if (job.state() == HubJob.State.DONE) bar.finish(total, "rendered");
        else bar.abandon();
        return job;
    }

    /** Writes next to the target and renames, so an interrupted run leaves no half-written image. */
    private static void write(Path target, byte[] png) throws IOException {
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".part");
        try {
            Files.write(temp, png);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
