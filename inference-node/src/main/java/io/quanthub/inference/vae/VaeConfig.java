package io.quanthub.inference.vae;

import io.quanthub.inference.model.ModelWeights;

import java.util.Arrays;
import java.util.Map;

/**
 * The shape of a BFL/LDM {@code Decoder} ({@code modules/autoencoder.py}), read off its tensors: {@code z_channels}
 * from {@code conv_in}, {@code ch} from {@code conv_out}, one resolution level per {@code up.L}, {@code num_res_blocks}
 * from the blocks of a level (it holds num_res_blocks + 1) and {@code ch_mult[L]} from the width of level L.
 *
 * @param prefix      what comes before {@code conv_in.weight} ("decoder." in BFL's {@code ae.safetensors})
 * @param scaleFactor the latent scale: the decoder sees {@code z / scaleFactor + shiftFactor}
 */
public record VaeConfig(String prefix, int zChannels, int ch, int[] chMult, int numResBlocks, float scaleFactor,
                        float shiftFactor) {
    /** Flux's {@code AutoEncoderParams}; files may override them with metadata {@link #SCALE_KEY}/{@link #SHIFT_KEY}. */
    public static final float FLUX_SCALE_FACTOR = 0.3611f;
    public static final float FLUX_SHIFT_FACTOR = 0.1159f;
    public static final String SCALE_KEY = "scale_factor";
    public static final String SHIFT_KEY = "shift_factor";
    /** GroupNorm groups everywhere in the decoder. */
    public static final int GROUPS = 32;

    public VaeConfig {
        chMult = chMult.clone();
    }

    @Override
    public int[] chMult() {
        return chMult.clone();
    }

    /** Resolution levels: the decoder upsamples {@code levels - 1} times. */
    public int levels() {
        return chMult.length;
    }

    /** Pixels per latent cell along each side: 8 for Flux's VAE. */
    public int pixelScale() {
        return 1 << (levels() - 1);
    }

    /** Infers the decoder of {@code weights}, which may also hold an encoder or carry a prefix. */
    public static VaeConfig of(ModelWeights weights) {
        String convIn = weights.tensors().keySet().stream()
                .filter(n -> n.equals("decoder.conv_in.weight") || n.endsWith(".decoder.conv_in.weight"))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(weights.path().getFileName()
                        + " is not a VAE decoder: it has no decoder.conv_in.weight"));
        String prefix = convIn.substring(0, convIn.length() - "conv_in.weight".length());
        int zChannels = (int) weights.weight(convIn).shape()[1];
        int ch = (int) weights.weight(prefix + "conv_out.weight").shape()[1];
        int levels = maxIndex(weights, prefix + "up.") + 1;
        if (levels == 0) throw new IllegalArgumentException(weights.path().getFileName() + " has no " + prefix + "up.*");
        int numResBlocks = maxIndex(weights, prefix + "up.0.block.");
        int[] chMult = new int[levels];
        for (int level = 0; level < levels; level++) {
            String last = prefix + "up." + level + ".block." + numResBlocks + ".conv2.weight";
            int width = (int) weights.weight(last).shape()[0];
            if (width % ch != 0) {
                throw new IllegalArgumentException(last + " has " + width + " channels, not a multiple of ch " + ch);
            }
            chMult[level] = width / ch;
        }
        Map<String, String> meta = weights.metadata();
        return new VaeConfig(prefix, zChannels, ch, chMult, numResBlocks,
                factor(meta, SCALE_KEY, FLUX_SCALE_FACTOR), factor(meta, SHIFT_KEY, FLUX_SHIFT_FACTOR));
    }

    private static float factor(Map<String, String> meta, String key, float fallback) {
        String value = meta.get(key);
        if (value == null) return fallback;
        try {
            return Float.parseFloat(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("VAE metadata " + key + " is not a number: '" + value + "'");
        }
    }

    /** The highest number N among names {@code prefix + N + "."...}; -1 if none. */
    private static int maxIndex(ModelWeights weights, String prefix) {
        int max = -1;
        for (String name : weights.tensors().keySet()) {
            if (!name.startsWith(prefix)) continue;
            int end = name.indexOf('.', prefix.length());
            if (end < 0) continue;
            try {
                max = Math.max(max, Integer.parseInt(name.substring(prefix.length(), end)));
            } catch (NumberFormatException e) {
                // not an indexed child (e.g. up.0.upsample.*)
            }
        }
        return max;
    }

    @Override
    public String toString() {
        return "VaeConfig[z=" + zChannels + ", ch=" + ch + ", chMult=" + Arrays.toString(chMult) + ", numResBlocks="
                + numResBlocks + ", scale=" + scaleFactor + ", shift=" + shiftFactor + "]";
    }
}
