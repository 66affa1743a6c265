package io.quanthub.hub;

import io.quanthub.gguf.convert.Architecture;
import io.quanthub.inference.preview.DeviceMemory;
import java.util.Map;
import java.util.Optional;

/**
 * How much GPU memory a quant needs, by the rule of thumb users are given (docs/user-facts, "Sizes people expect"):
 * a model of Y bytes runs reliably at standard resolutions on a GPU with X bytes when {@code Y < 0.7 X}; the rest
 * is activations and the VAE decode peak. So the estimate is {@code weights / 0.7}, for the diffusion model alone
 * (text encoders kept in system RAM) and together with the text encoders and VAE its architecture usually runs
 * with, in their common FP16 downloads.
 *
 * <p>Companion sizes: T5-XXL (9.5 GB) and CLIP-L (0.25 GB) are the figures of user-facts; the others are the sizes
 * of the files ComfyUI users download (decimal GB, rounded): CLIP-G 1.39, UMT5-XXL 11.4, Llama-3.1-8B and
 * LLaVA-Llama-3-8B 16.1, Gemma-2-2B 5.2, Pile-T5-XL 2.4; VAEs 0.34 (Flux, SD1/SDXL in FP32), 0.17 (SD3), 0.25
 * (Wan, also Cosmos-Predict2), 0.49 (HunyuanVideo), 1.0 (LTX-Video).
 */
final class VramEstimate {
    private static final long GB = 1_000_000_000L;
    private static final long T5_XXL = 9_500_000_000L;
    private static final long CLIP_L = 250_000_000L;
    private static final long CLIP_G = 1_390_000_000L;
    private static final long UMT5_XXL = 11_400_000_000L;
    private static final long LLAMA_8B = 16_100_000_000L;
    private static final long GEMMA_2B = 5_200_000_000L;
    private static final long PILE_T5_XL = 2_400_000_000L;

    /** Text encoders and VAE bytes an architecture usually runs with. */
    record Companions(long textEncoders, long vae) {
        long total() {
            return textEncoders + vae;
        }
    }

    private static final Map<Architecture, Companions> COMPANIONS = Map.ofEntries(
            Map.entry(Architecture.FLUX, new Companions(T5_XXL + CLIP_L, 340_000_000L)),
            Map.entry(Architecture.SD3, new Companions(T5_XXL + CLIP_L + CLIP_G, 170_000_000L)),
            Map.entry(Architecture.AURA, new Companions(PILE_T5_XL, 340_000_000L)),
            Map.entry(Architecture.HIDREAM, new Companions(T5_XXL + LLAMA_8B + CLIP_L + CLIP_G, 340_000_000L)),
            Map.entry(Architecture.COSMOS, new Companions(T5_XXL, 250_000_000L)),
            Map.entry(Architecture.LTXV, new Companions(T5_XXL, GB)),
            Map.entry(Architecture.HYVID, new Companions(LLAMA_8B + CLIP_L, 490_000_000L)),
            Map.entry(Architecture.WAN, new Companions(UMT5_XXL, 250_000_000L)),
            Map.entry(Architecture.SDXL, new Companions(CLIP_L + CLIP_G, 340_000_000L)),
            Map.entry(Architecture.SD1, new Companions(CLIP_L, 340_000_000L)),
            Map.entry(Architecture.LUMINA2, new Companions(GEMMA_2B, 340_000_000L)));

    private VramEstimate() {}

    /** GPU memory for weights of this many bytes: the rule inference nodes schedule previews by. */
    static long forWeights(long bytes) {
        return DeviceMemory.forWeights(bytes);
    }

    /**
     * GPU memory for a model of {@code size} bytes with its text encoders and VAE: the encoders' real sizes when the
     * model names them ({@code textEncoderBytes}, see {@link TextEncoders}) plus its architecture's usual VAE, else
     * the architecture's usual companions; null when neither is known.
     */
    static Long withTextEncodersAndVae(String architecture, long size, Long textEncoderBytes) {
        Optional<Companions> usual = companions(architecture);
        if (textEncoderBytes != null) return forWeights(size + textEncoderBytes + usual.map(Companions::vae).orElse(0L));
        return usual.map(c -> forWeights(size + c.total())).orElse(null);
    }

    /** The companions of an architecture ({@code general.architecture} name), or empty when it is not known. */
    static Optional<Companions> companions(String architecture) {
        if (architecture == null) return Optional.empty();
        return Architecture.byGgufName(architecture).map(COMPANIONS::get);
    }
}
