package io.quanthub.inference.preview;

import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.gguf.synthetic.FluxShape;
import io.quanthub.gguf.synthetic.SyntheticTensor;
import io.quanthub.inference.pipeline.GaussianNoise;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A small Flux-architecture model made from a seed, so {@code quanthub serve --demo} can show previews on a fresh
 * machine with no network and no downloads: a BF16 transformer with Flux's original key names (hidden 256, two
 * 128-wide heads, one double and two single blocks, guidance embedding: a "dev"-type model), a VAE decoder with
 * BFL's {@code decoder.*} names and Flux's 8x upsampling (16 latent channels, 32 wide), and two conditioning sets
 * (random {@code txt} and {@code y} embeddings: there is no text encoder, so they stand for no prompt).
 *
 * <p>Weights are Gaussian with the usual {@code 1/sqrt(fan-in)} scale and norms start at one, so activations keep
 * their size through the layers and each quant level changes the picture measurably. The same seed always gives the
 * same bytes ({@link GaussianNoise} is specified bit for bit).
 */
public final class DemoModel {
    /** The transformer's shape: every 2-D weight row is a multiple of 256 long, so every K-quant applies. */
    public static final FluxShape SHAPE = new FluxShape(256, 1, 2, 256, 128);
    public static final String MODEL_FILE = "flux-demo.safetensors";
    /** BFL's name for the autoencoder; the hub looks for it next to the transformer. */
    public static final String VAE_FILE = "ae.safetensors";
    public static final List<String> CONDITIONING_SETS = List.of("random-a", "random-b");
    /**
     * What the demo says wherever it shows up (serve's output, the commit message the catalog shows): nobody should
     * take its images for a broken renderer.
     */
    public static final String RANDOM_WEIGHTS = "Random weights: the demo model and its text encoders are generated "
            + "from a seed, so their images are noise by design (a prompt or a quant level still changes them).";
    /** Tokens of each conditioning set's {@code txt}. */
    static final int TEXT_TOKENS = 16;
    static final int VAE_CHANNELS = 32;
    static final int VAE_LEVELS = 4;
    static final int VAE_RES_BLOCKS = 1;
    static final int LATENT_CHANNELS = 16;

    private DemoModel() {
    }

    /** The conditioning set's path inside the repository. */
    public static String conditioningPath(String name) {
        return "conditioning/" + name + ".safetensors";
    }

    /**
     * Writes the model into {@code dir}: {@value #MODEL_FILE}, {@value #VAE_FILE} and
     * {@code conditioning/<name>.safetensors} for each of {@link #CONDITIONING_SETS}. Each file is written to a
     * temporary name and renamed.
     *
     * @return the files written, relative to {@code dir}
     */
    public static List<String> write(Path dir, long seed) throws IOException {
        return write(dir, seed, SHAPE);
    }

    /**
     * {@link #write(Path, long)} with another transformer shape: its context and vector widths must be those of the
     * text encoders its prompts go through (64 and 64 for the shared tiny CLIP-L and T5).
     */
    public static List<String> write(Path dir, long seed, FluxShape shape) throws IOException {
        List<String> written = new ArrayList<>();
        written.add(save(dir, MODEL_FILE, transformer(seed, shape)));
        written.add(save(dir, VAE_FILE, vae(seed + 1_000_000)));
        for (int i = 0; i < CONDITIONING_SETS.size(); i++) {
            written.add(save(dir, conditioningPath(CONDITIONING_SETS.get(i)),
                    conditioning(seed + 2_000_000 + 1000L * i, shape)));
        }
        return written;
    }

    static String save(Path dir, String relative, SafetensorsWriter writer) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Path temp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".part");
        try {
            writer.write(temp);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        return relative;
    }

    /** The transformer, in the reference implementation's tensor order, stored in BF16 as Flux is released. */
    private static SafetensorsWriter transformer(long seed, FluxShape fluxShape) {
        SafetensorsWriter writer = new SafetensorsWriter();
        List<SyntheticTensor> specs = fluxShape.tensors(Dtype.BF16);
        for (int i = 0; i < specs.size(); i++) {
            SyntheticTensor s = specs.get(i);
            long[] shape = s.shape();
            int n = Math.toIntExact(s.elementCount());
            float[] values;
            if (s.name().endsWith("_norm.scale")) {
                values = constant(n, 1f);
            } else if (s.name().endsWith(".bias")) {
                values = gaussian(seed + i, n, 0.02f);
            } else {
                // Modulation layers (shift/scale/gate from the timestep vector) at half scale, so the blocks start
                // close to their plain form, as a trained model's do.
                boolean modulation = s.name().contains("mod") || s.name().contains("adaLN");
                values = gaussian(seed + i, n, (modulation ? 0.5f : 1f) / (float) Math.sqrt(shape[1]));
            }
            writer.add(s.name(), Dtype.BF16, shape, values);
        }
        return writer;
    }

    /**
     * BFL's {@code Decoder} with {@code ch = 32, ch_mult = [1, 1, 1, 1], num_res_blocks = 1, z_channels = 16}, in
     * F32 (as Flux's {@code ae.safetensors}).
     */
    static SafetensorsWriter vae(long seed) {
        Vae v = new Vae(new SafetensorsWriter(), seed);
        int c = VAE_CHANNELS;
        v.conv("decoder.conv_in", c, LATENT_CHANNELS, 3, 1f);
        v.resnet("decoder.mid.block_1");
        v.norm("decoder.mid.attn_1.norm");
        for (String part : List.of("q", "k", "v", "proj_out")) v.conv("decoder.mid.attn_1." + part, c, c, 1, 1f);
        v.resnet("decoder.mid.block_2");
        for (int level = 0; level < VAE_LEVELS; level++) {
            for (int b = 0; b <= VAE_RES_BLOCKS; b++) v.resnet("decoder.up." + level + ".block." + b);
            if (level > 0) v.conv("decoder.up." + level + ".upsample.conv", c, c, 3, 1f);
        }
        v.norm("decoder.norm_out");
        v.conv("decoder.conv_out", 3, c, 3, 0.8f);
        return v.writer;
    }

    /** Writes decoder tensors, each from its own seed. */
    private static final class Vae {
        final SafetensorsWriter writer;
        long seed;

        Vae(SafetensorsWriter writer, long seed) {
            this.writer = writer;
            this.seed = seed;
        }

        void conv(String name, int out, int in, int kernel, float gain) {
            int n = out * in * kernel * kernel;
            writer.addF32(name + ".weight", new long[] {out, in, kernel, kernel},
                    gaussian(seed++, n, gain / (float) Math.sqrt(in * kernel * kernel)));
            writer.addF32(name + ".bias", new long[] {out}, gaussian(seed++, out, 0.05f));
        }

        void norm(String name) {
            writer.addF32(name + ".weight", new long[] {VAE_CHANNELS}, constant(VAE_CHANNELS, 1f));
            writer.addF32(name + ".bias", new long[] {VAE_CHANNELS}, new float[VAE_CHANNELS]);
        }

        /** A residual block; its second conv at half gain so the residual stream grows slowly. */
        void resnet(String name) {
            norm(name + ".norm1");
            conv(name + ".conv1", VAE_CHANNELS, VAE_CHANNELS, 3, 1f);
            norm(name + ".norm2");
            conv(name + ".conv2", VAE_CHANNELS, VAE_CHANNELS, 3, 0.5f);
        }
    }

    /** A conditioning set: {@code txt} [1, tokens, context] and {@code y} [1, vector], standard normal. */
    private static SafetensorsWriter conditioning(long seed, FluxShape shape) {
        return new SafetensorsWriter()
                .addF32("txt", new long[] {1, TEXT_TOKENS, shape.contextWidth()},
                        gaussian(seed, TEXT_TOKENS * shape.contextWidth(), 1f))
                .addF32("y", new long[] {1, shape.vectorWidth()}, gaussian(seed + 1, shape.vectorWidth(), 1f));
    }

    static float[] gaussian(long seed, int n, float scale) {
        float[] v = GaussianNoise.sample(seed, n);
        for (int i = 0; i < n; i++) v[i] *= scale;
        return v;
    }

    static float[] constant(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return v;
    }
}
