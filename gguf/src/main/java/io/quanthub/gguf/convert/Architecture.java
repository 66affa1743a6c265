package io.quanthub.gguf.convert;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The architectures QuantHub converts: the diffusion models ComfyUI-GGUF converts, with every per-architecture rule of its
 * {@code tools/convert.py} (detection, hiprec, ignore, shape fix, 5-D handler) and of {@code tools/lcpp.patch} for
 * llama-quantize (never-quantize lists, n_dims corrections), spec comfyui-gguf-compat.md §1.2, §2, §4; and the T5
 * text encoder, which llama.cpp's own converter and quantizer make ({@link #usesLlamaCpp}).
 *
 * <p>The constants are declared in convert.py's detection order ({@code arch_list}); the first architecture with a
 * complete detection group wins. SDXL comes before SD1 because SD1's diffusers key also exists in SDXL.
 */
public enum Architecture {
    FLUX("flux", new Rules()
            .detect("transformer_blocks.0.attn.norm_added_k.weight")
            .detect("double_blocks.0.img_attn.proj.weight")
            // The diffusers layout is detected, then refused: its q/k/v are not fused.
            .banned("transformer_blocks.0.attn.norm_added_k.weight")
            .neverQuantizeContaining("txt_in.", "img_in.", "time_in.", "vector_in.", "guidance_in.", "final_layer.")),
    SD3("sd3", new Rules()
            .detect("transformer_blocks.0.attn.add_q_proj.weight")
            .detect("joint_blocks.0.x_block.attn.qkv.weight")
            .banned("transformer_blocks.0.attn.add_q_proj.weight")
            .neverQuantizeContaining("final_layer.", "time_text_embed.", "context_embedder.", "t_embedder.",
                    "y_embedder.", "x_embedder.")
            .neverQuantizeNamed("proj_out.weight", "pos_embed")
            .dimsFix(DimsFix.named("pos_embed", true))),
    AURA("aura", new Rules()
            .detect("double_layers.3.modX.1.weight")
            .detect("joint_transformer_blocks.3.ff_context.out_projection.weight")
            .banned("joint_transformer_blocks.3.ff_context.out_projection.weight")
            .neverQuantizeContaining("t_embedder.", "init_x_linear.")
            .neverQuantizeNamed("modF.1.weight", "cond_seq_linear.weight", "final_linear.weight",
                    "positional_encoding", "register_tokens")
            .dimsFix(DimsFix.named("positional_encoding", true), DimsFix.named("register_tokens", true))),
    HIDREAM("hidream", new Rules()
            .detect("caption_projection.0.linear.weight",
                    "double_stream_blocks.0.block.ff_i.shared_experts.w3.weight")
            // nn.Parameters read directly by the model, which cannot use packed BF16.
            .hiprec(".ff_i.gate.weight", "img_emb.emb_pos")
            .neverQuantizeContaining("p_embedder.", "t_embedder.", "x_embedder.", "final_layer.",
                    ".ff_i.gate.weight", "caption_projection.")),
    COSMOS("cosmos", new Rules()
            .detect("blocks.0.mlp.layer1.weight", "blocks.0.adaln_modulation_cross_attn.1.weight")
            .hiprec("pos_embedder")
            .ignore("_extra_state", "accum_")
            .neverQuantizeContaining("p_embedder.", "t_embedder.", "t_embedding_norm.", "x_embedder.",
                    "pos_embedder.", "final_layer.")),
    LTXV("ltxv", new Rules()
            .detect("adaln_single.emb.timestep_embedder.linear_2.weight", "transformer_blocks.27.scale_shift_table",
                    "caption_projection.linear_2.weight")
            .hiprec("scale_shift_table")
            .neverQuantizeContaining("adaln_single.", "caption_projection.", "patchify_proj.", "proj_out.",
                    "scale_shift_table")),
    HYVID("hyvid", new Rules()
            .detect("double_blocks.0.img_attn_proj.weight",
                    "txt_in.individual_token_refiner.blocks.1.self_attn_qkv.weight")
            .keepsNdTensors()
            .neverQuantizeContaining("txt_in.", "img_in.", "time_in.", "vector_in.", "guidance_in.", "final_layer.")),
    WAN("wan", new Rules()
            .detect("blocks.0.self_attn.norm_q.weight", "text_embedding.2.weight", "head.modulation")
            .hiprec(".modulation")
            .keepsNdTensors()
            .neverQuantizeContaining("modulation.", "patch_embedding.", "text_embedding.", "time_projection.",
                    "time_embedding.", "img_emb.", "head.")
            .dimsFix(DimsFix.containing(".modulation", true), DimsFix.named("img_emb.emb_pos", false))),
    SDXL("sdxl", new Rules()
            .detect("down_blocks.0.downsamplers.0.conv.weight", "add_embedding.linear_1.weight")
            .detect("input_blocks.3.0.op.weight", "input_blocks.6.0.op.weight",
                    "output_blocks.2.2.conv.weight", "output_blocks.5.2.conv.weight")
            .detect("label_emb.0.0.weight")
            .shapeFix()
            .neverQuantizeContaining(SdUnet.NEVER_QUANTIZE_CONTAINING)
            .neverQuantizeNamed(SdUnet.NEVER_QUANTIZE_NAMED)),
    SD1("sd1", new Rules()
            .detect("down_blocks.0.downsamplers.0.conv.weight")
            .detect("input_blocks.3.0.op.weight", "input_blocks.6.0.op.weight", "input_blocks.9.0.op.weight",
                    "output_blocks.2.1.conv.weight", "output_blocks.5.2.conv.weight", "output_blocks.8.2.conv.weight")
            .shapeFix()
            .neverQuantizeContaining(SdUnet.NEVER_QUANTIZE_CONTAINING)
            .neverQuantizeNamed(SdUnet.NEVER_QUANTIZE_NAMED)),
    LUMINA2("lumina2", new Rules()
            .detect("cap_embedder.1.weight", "context_refiner.0.attention.qkv.weight")
            .neverQuantizeContaining("t_embedder.", "x_embedder.", "final_layer.", "cap_embedder.",
                    "context_refiner.", "noise_refiner.")),
    /**
     * The T5 v1.1 text encoder (Flux's {@code t5xxl}), converted with llama.cpp's own tool chain instead of
     * ComfyUI-GGUF's: its {@code convert_hf_to_gguf.py} ({@code T5EncoderModel}: llama.cpp names, hyper-parameters and
     * the SentencePiece vocabulary) and stock {@code llama_model_quantize} with its LLM mixtures
     * ({@link LlamaQuantRules}). That is what city96's t5-v1_1-xxl-encoder GGUFs are and what ComfyUI-GGUF and
     * llama.cpp load.
     */
    T5ENCODER("t5encoder", new Rules()
            .detect("encoder.block.0.layer.0.SelfAttention.q.weight", "encoder.final_layer_norm.weight")
            .llamaCpp(LlamaTensorNames.T5_ENCODER));

    /** The value of {@code general.architecture}. */
    public final String ggufName;
    /** Groups of keys; the architecture matches when every key of one group is present. */
    public final List<List<String>> detectionGroups;
    /** Keys that mark a matched state dict as the (unsupported) diffusers layout. */
    public final List<String> bannedKeys;
    /** convert.py {@code keys_hiprec}: substrings of keys kept in F32 (when the source is F32/BF16). */
    public final List<String> hiprecKeys;
    /** convert.py {@code keys_ignore}: substrings of keys left out of the output. */
    public final List<String> ignoredKeys;
    /** lcpp.patch: substrings of names that llama-quantize never quantizes for this architecture. */
    public final List<String> neverQuantizeContaining;
    /** lcpp.patch: exact names that llama-quantize never quantizes for this architecture. */
    public final List<String> neverQuantizeNamed;
    /** convert.py {@code shape_fix}: reshape tensors to rows of 256 so K-quants apply (SD1/SDXL only). */
    public final boolean shapeFix;
    /** convert.py {@code handle_nd_tensor}: tensors of more than 4 dims are kept (as F32, fix_5d_tensors.py). */
    public final boolean keepsNdTensors;
    /** lcpp.patch: tensors whose stored n_dims is forced to 3 (their leading torch dim is 1). */
    public final List<DimsFix> dimsFixes;
    /**
     * For an architecture llama.cpp's own tool chain converts (a text encoder): its converter's tensor names; null for
     * the diffusion models, which go through ComfyUI-GGUF's tools.
     */
    public final LlamaTensorNames llamaCppNames;

    Architecture(String ggufName, Rules r) {
        this.ggufName = ggufName;
        this.detectionGroups = List.copyOf(r.detect);
        this.bannedKeys = List.copyOf(r.banned);
        this.hiprecKeys = List.copyOf(r.hiprec);
        this.ignoredKeys = List.copyOf(r.ignore);
        this.neverQuantizeContaining = List.copyOf(r.neverContaining);
        this.neverQuantizeNamed = List.copyOf(r.neverNamed);
        this.shapeFix = r.shapeFix;
        this.keepsNdTensors = r.keepsNd;
        this.dimsFixes = List.copyOf(r.dimsFixes);
        this.llamaCppNames = r.llamaCppNames;
    }

    /** True when llama.cpp's converter and stock llama_model_quantize make this architecture's files. */
    public boolean usesLlamaCpp() {
        return llamaCppNames != null;
    }

    /**
     * The architecture of a state dict whose prefix is already stripped (convert.py {@code detect_arch}).
     *
     * @throws ConversionException for the diffusers layout or when no architecture matches
     */
    public static Architecture detect(Set<String> keys) {
        for (Architecture a : values()) {
            for (List<String> group : a.detectionGroups) {
                if (!keys.containsAll(group)) continue;
                Optional<String> banned = a.bannedKeys.stream().filter(keys::contains).findFirst();
                if (banned.isPresent()) {
                    throw new ConversionException("this is the diffusers layout of a " + a.ggufName
                            + " model (key '" + banned.get() + "'), which cannot be converted; use the reference"
                            + " checkpoint layout (e.g. re-save the model with ComfyUI's ModelSave)");
                }
                return a;
            }
        }
        throw new ConversionException("unknown model architecture: no supported architecture matched the tensor"
                + " names (supported: " + Arrays.stream(values()).map(a -> a.ggufName)
                .collect(Collectors.joining(", ")) + ")");
    }

    /**
     * True when these tensor names (no prefix) are a model llama.cpp's tool chain converts ({@link #usesLlamaCpp}),
     * whose conversion needs {@link ConversionInputs}: callers read a tokenizer only then.
     */
    public static boolean isLlamaCppModel(Collection<String> keys) {
        for (Architecture a : values()) {
            if (a.usesLlamaCpp() && a.detectionGroups.stream().anyMatch(keys::containsAll)) return true;
        }
        return false;
    }

    /** The architecture whose {@code general.architecture} value is this name. */
    public static Optional<Architecture> byGgufName(String name) {
        return Arrays.stream(values()).filter(a -> a.ggufName.equals(name)).findFirst();
    }

    /** convert.py: is this key left out ({@code keys_ignore})? */
    public boolean ignores(String key) {
        return ignoredKeys.stream().anyMatch(key::contains);
    }

    /** convert.py: the {@code keys_hiprec} entry this key contains, if any. */
    public Optional<String> hiprecMatch(String key) {
        return hiprecKeys.stream().filter(key::contains).findFirst();
    }

    /** lcpp.patch: the never-quantize entry that matches this name, if any (for the reason text). */
    public Optional<String> neverQuantizeMatch(String name) {
        Optional<String> named = neverQuantizeNamed.stream().filter(name::equals).findFirst();
        if (named.isPresent()) return named;
        return neverQuantizeContaining.stream().filter(name::contains).findFirst();
    }

    /**
     * lcpp.patch: the n_dims llama-quantize stores for this tensor, given its ggml {@code ne} (4 entries, padded
     * with 1) and the n_dims ggml would write. The patch forces 3 dims for some parameters whose leading torch dim
     * is 1, which ggml would otherwise drop.
     */
    public int storedDims(String name, long[] ne4, int ggmlDims) {
        for (DimsFix f : dimsFixes) {
            if (f.matches(name) && (!f.onlyWhenNe2IsOne() || ne4[2] == 1)) return 3;
        }
        return ggmlDims;
    }

    @Override
    public String toString() {
        return ggufName;
    }

    /**
     * A forced n_dims of 3 ({@code gguf_set_tensor_ndim}) for an exact name or for names containing a substring.
     *
     * @param onlyWhenNe2IsOne the patch applies it only when {@code ne[2] == 1}
     */
    public record DimsFix(String pattern, boolean exact, boolean onlyWhenNe2IsOne) {
        static DimsFix named(String name, boolean onlyWhenNe2IsOne) {
            return new DimsFix(name, true, onlyWhenNe2IsOne);
        }

        static DimsFix containing(String substring, boolean onlyWhenNe2IsOne) {
            return new DimsFix(substring, false, onlyWhenNe2IsOne);
        }

        boolean matches(String name) {
            return exact ? name.equals(pattern) : name.contains(pattern);
        }
    }

    /** SD1 and SDXL share the UNet never-quantize lists. */
    private static final class SdUnet {
        static final String[] NEVER_QUANTIZE_CONTAINING = {"class_embedding.", "time_embedding.", "add_embedding.",
                "time_embed.", "label_emb.", "conv_in.", "conv_out."};
        static final String[] NEVER_QUANTIZE_NAMED = {"input_blocks.0.0.weight", "out.2.weight"};
    }

    /** Collects one architecture's rules so the constants above read like the tables of the spec. */
    private static final class Rules {
        final List<List<String>> detect = new ArrayList<>();
        final List<String> banned = new ArrayList<>();
        final List<String> hiprec = new ArrayList<>();
        final List<String> ignore = new ArrayList<>();
        final List<String> neverContaining = new ArrayList<>();
        final List<String> neverNamed = new ArrayList<>();
        final List<DimsFix> dimsFixes = new ArrayList<>();
        boolean shapeFix;
        boolean keepsNd;
        LlamaTensorNames llamaCppNames;

        Rules llamaCpp(LlamaTensorNames names) {
            llamaCppNames = names;
            return this;
        }

        Rules detect(String... group) {
            detect.add(List.of(group));
            return this;
        }

        Rules banned(String... keys) {
            banned.addAll(List.of(keys));
            return this;
        }

        Rules hiprec(String... keys) {
            hiprec.addAll(List.of(keys));
            return this;
        }

        Rules ignore(String... keys) {
            ignore.addAll(List.of(keys));
            return this;
        }

        Rules neverQuantizeContaining(String... substrings) {
            neverContaining.addAll(List.of(substrings));
            return this;
        }

        Rules neverQuantizeNamed(String... names) {
            neverNamed.addAll(List.of(names));
            return this;
        }

        Rules dimsFix(DimsFix... fixes) {
            dimsFixes.addAll(List.of(fixes));
            return this;
        }

        Rules shapeFix() {
            shapeFix = true;
            return this;
        }

        Rules keepsNdTensors() {
            keepsNd = true;
            return this;
        }
    }
}
