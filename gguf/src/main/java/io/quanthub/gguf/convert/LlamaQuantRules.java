package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;

import java.util.List;
import java.util.Optional;

/**
 * Stock {@code llama_model_quantize}'s per-tensor rules (llama.cpp's src/llama-quant.cpp, as bundled by
 * node-llama-cpp 3.22.1), for the architectures llama.cpp's tool chain converts ({@link Architecture#usesLlamaCpp}):
 * which tensors it quantizes ({@code tensor_allows_quantization}), the category of a name
 * ({@code tensor_get_category}), the {@code _S/_M/_L} overrides ({@code llama_tensor_get_type_impl}) and the fallback
 * for rows the block size does not divide ({@code tensor_type_fallback}). Only the branches reachable from the levels of
 * {@link QuantLevel}, without an importance matrix, for models without experts, are here.
 *
 * <p>One instance decides the tensors of one file, in llama-quantize's processing order (its counters of V and FFN-down
 * tensors advance as it goes).
 */
final class LlamaQuantRules {
    /** Substrings of names {@code tensor_allows_quantization} never quantizes. */
    private static final List<String> NEVER_CONTAINING = List.of("_norm.weight", "ffn_gate_inp.weight",
            "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
            "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight", "time_mix_first.weight",
            "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight",
            "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight",
            "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
            "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
            // "do not quantize relative position bias (T5)"
            "attn_rel_b.weight",
            ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
            "a.rvq.codebook", "mm.a.code_embd");
    /** Exact names never quantized: positional embeddings and token types (LLM_TN for any architecture). */
    private static final List<String> NEVER_NAMED = List.of("position_embd.weight", "token_types.weight");

    /** {@code tensor_category}, tested in this order. */
    enum Category {
        OUTPUT, TOKEN_EMBD, ATTENTION_QKV, ATTENTION_KV_B, ATTENTION_V, ATTENTION_K, ATTENTION_Q, ATTENTION_OUTPUT,
        FFN_UP, FFN_GATE, FFN_DOWN, OTHER;

        static Category of(String name) {
            if (name.equals("output.weight")) return OUTPUT;
            if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) return TOKEN_EMBD;
            if (name.contains("attn_qkv.weight")) return ATTENTION_QKV;
            if (name.contains("attn_kv_b.weight")) return ATTENTION_KV_B;
            if (name.contains("attn_v.weight")) return ATTENTION_V;
            if (name.contains("attn_k.weight")) return ATTENTION_K;
            if (name.contains("attn_q.weight")) return ATTENTION_Q;
            if (name.contains("attn_output.weight")) return ATTENTION_OUTPUT;
            if (name.contains("ffn_up")) return FFN_UP;
            if (name.contains("ffn_gate")) return FFN_GATE;
            if (name.contains("ffn_down")) return FFN_DOWN;
            return OTHER;
        }

        /** {@code category_is_attn_v}: the tensors the V rules and counter cover. */
        boolean isAttentionV() {
            return this == ATTENTION_V || this == ATTENTION_QKV || this == ATTENTION_KV_B;
        }
    }

    private final int nLayer;
    private final int nGqa;
    private final int nAttentionWv;
    /** No {@code output.weight}: the token embedding doubles as the output and gets the output's type. */
    private final boolean tiedEmbeddings;
    private int iAttentionWv;
    private int iFfnDown;

    /**
     * @param names  every tensor of the file (the counters' totals come from all of them)
     * @param nLayer the model's block count ({@code hparams.n_layer_all})
     * @param nGqa   attention heads per KV head (1 for T5)
     */
    LlamaQuantRules(List<String> names, int nLayer, int nGqa) {
        this.nLayer = nLayer;
        this.nGqa = nGqa;
        this.nAttentionWv = (int) names.stream().filter(n -> Category.of(n).isAttentionV()).count();
        this.tiedEmbeddings = names.stream().noneMatch(n -> Category.of(n) == Category.OUTPUT);
    }

    /** Why llama-quantize leaves this tensor as it is, or empty when it may quantize it. */
    static Optional<String> whyNotQuantized(String name, int ggmlDims) {
        if (ggmlDims < 2) return Optional.of(ggmlDims + "-D (only 2-D and 3-D weights are quantized)");
        if (!QuantizeStage.endsInWeight(name)) return Optional.of("name does not end in 'weight'");
        for (String s : NEVER_CONTAINING) {
            if (name.contains(s)) return Optional.of("llama-quantize never quantizes '" + s + "'");
        }
        if (NEVER_NAMED.contains(name)) return Optional.of("llama-quantize never quantizes '" + name + "'");
        return Optional.empty();
    }

    /**
     * The type of a quantizable tensor (call in processing order, once per tensor), after the shape fallback.
     *
     * @param ncols ne[0], the row length
     */
    GgmlType typeFor(String name, long ncols, QuantLevel level) {
        GgmlType type = mixtureType(Category.of(name), ncols, level);
        return fallback(type, ncols);
    }

    private GgmlType mixtureType(Category category, long ncols, QuantLevel level) {
        GgmlType base = level.baseType;
        if (category == Category.OUTPUT || (tiedEmbeddings && category == Category.TOKEN_EMBD)) {
            if (ncols % base.blockSize != 0) return GgmlType.Q8_0;
            return base == GgmlType.Q8_0 ? base : GgmlType.Q6_K;
        }
        if (category.isAttentionV()) {
            GgmlType type = switch (level) {
                case Q2_K -> nGqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                case Q3_K_M -> iAttentionWv < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                case IQ4_NL, IQ4_XS -> nGqa >= 4 ? GgmlType.Q5_K : base;
                case Q4_K_M, Q5_K_M -> useMoreBits(iAttentionWv, nAttentionWv) ? GgmlType.Q6_K : base;
                case Q4_K_S -> iAttentionWv < 4 ? GgmlType.Q5_K : base;
                default -> base;
            };
            iAttentionWv++;
            return type;
        }
        if (category == Category.FFN_DOWN) {
            int i = iFfnDown++;
            return switch (level) {
                case Q2_K -> GgmlType.Q3_K;
                case Q3_K_M -> i < nLayer / 16 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                case Q4_K_M, Q5_K_M -> useMoreBits(i, nLayer) ? GgmlType.Q6_K : base;
                case IQ4_NL, IQ4_XS -> i < nLayer / 8 ? GgmlType.Q5_K : base;
                case Q4_K_S -> i < nLayer / 8 ? GgmlType.Q5_K : base;
                default -> base;
            };
        }
        if (category == Category.ATTENTION_OUTPUT) {
            return switch (level) {
                case Q2_K -> GgmlType.Q3_K;
                case Q3_K_M -> GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                default -> base;
            };
        }
        return base;
    }

    /** {@code use_more_bits}: the first and last eighth of the layers, and every third one between. */
    static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /** {@code tensor_type_fallback}: a type whose block divides the row, else F16. */
    static GgmlType fallback(GgmlType type, long ncols) {
        if (ncols % type.blockSize == 0) return type;
        GgmlType next = switch (type) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS -> GgmlType.IQ4_NL;
            case Q2_0, Q2_K, Q3_K, TQ1_0, TQ2_0 -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> throw new ConversionException("no tensor type fallback is defined for type " + type);
        };
        return ncols % next.blockSize == 0 ? next : GgmlType.F16;
    }
}
