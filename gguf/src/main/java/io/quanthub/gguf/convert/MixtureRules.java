package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;

import java.util.List;

/**
 * The per-tensor type choice of ComfyUI-GGUF's patched llama-quantize for image models ({@code img_tensor_get_type}
 * in tools/lcpp.patch; spec comfyui-gguf-compat.md §3). It replaces llama.cpp's LLM mixtures: tensors are sorted
 * into three name-pattern groups, and only some levels upgrade some groups.
 *
 * <p>The patch counts V tensors ({@code i_attention_wv}) in processing order, which is the output order; Q3_K_M and
 * Q4_K_S depend on that count. It also counts FFN-down tensors ({@code i_ffn_down}) but never reads the count.
 */
public final class MixtureRules {
    private MixtureRules() {
    }

    /** The pattern group of a tensor name; the groups are tested in this order (an if/else-if chain). */
    public enum Role {
        /** Attention value projections of the various architectures. */
        V(List.of("attn_v.weight", ".to_v.weight", ".v.weight", ".attn.w1v.weight", ".attn.w2v.weight",
                "_attn.v_proj.weight")),
        /** Fused q/k/v projections (Flux, SD3, Lumina2). */
        QKV(List.of("attn_qkv.weight", "attn.qkv.weight", "attention.qkv.weight")),
        /** Second FFN linear; HiDream MoE experts are matched separately in {@link #of}. */
        FFN_DOWN(List.of("ffn_down", ".ffn.2.weight", ".ff.net.2.weight", ".mlp.layer2.weight",
                ".adaln_modulation_mlp.2.weight", ".feed_forward.w2.weight")),
        OTHER(List.of());

        final List<String> substrings;

        Role(List<String> substrings) {
            this.substrings = substrings;
        }

        public static Role of(String name) {
            for (Role r : List.of(V, QKV)) {
                if (r.substrings.stream().anyMatch(name::contains)) return r;
            }
            boolean hiDreamExpertDown = name.contains("experts.") && name.contains(".w2.weight");
            if (hiDreamExpertDown || FFN_DOWN.substrings.stream().anyMatch(name::contains)) return FFN_DOWN;
            return OTHER;
        }
    }

    /**
     * The type of a quantizable tensor before the row-length check.
     *
     * @param vIndex how many V tensors came before this one in output order (only read for {@link Role#V})
     */
    public static GgmlType typeFor(QuantLevel level, Role role, int vIndex) {
        return switch (role) {
            case V -> switch (level) {
                case Q2_K -> GgmlType.Q3_K;
                case Q3_K_M -> vIndex < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                case Q4_K_M, Q5_K_M -> GgmlType.Q6_K;
                case Q4_K_S -> vIndex < 4 ? GgmlType.Q5_K : level.baseType;
                default -> level.baseType;
            };
            case QKV -> switch (level) {
                case Q3_K_M, Q3_K_L -> GgmlType.Q4_K;
                case Q4_K_M -> GgmlType.Q5_K;
                case Q5_K_M -> GgmlType.Q6_K;
                default -> level.baseType;
            };
            case FFN_DOWN -> switch (level) {
                case Q3_K_M -> GgmlType.Q4_K;
                case Q3_K_L, Q4_K_S -> GgmlType.Q5_K;
                case Q4_K_M, Q5_K_M -> GgmlType.Q6_K;
                case Q4_0 -> GgmlType.Q4_1;
                case Q5_0 -> GgmlType.Q5_1;
                default -> level.baseType;
            };
            case OTHER -> level.baseType;
        };
    }

    /** True for the K-quant types whose rows llama-quantize's image path checks against QK_K = 256. */
    public static boolean isKQuant(GgmlType type) {
        return switch (type) {
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }
}
