package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Stage 2: ComfyUI-GGUF's patched llama-quantize (llama.cpp b3962 + tools/lcpp.patch) on convert.py's output, for
 * image architectures (spec comfyui-gguf-compat.md §2.2, §3, §4.3). Tensors must be fed in output order, because
 * the V-projection counter of the {@code _S/_M/_L} rules counts in processing order.
 */
final class QuantizeStage {
    /** Substrings llama.cpp b3962 never quantizes for any architecture (LLM tensors; kept for exactness). */
    private static final List<String> LLAMA_NEVER_QUANTIZE = List.of("_norm.weight", "ffn_gate_inp.weight",
            "ssm_conv1d.weight", "time_mix_first.weight", "time_mix_w1.weight", "time_mix_w2.weight",
            "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "attn_rel_b.weight");
    /** lcpp.patch refuses to quantize tensors with these names: an unstripped checkpoint or a diffusers model. */
    private static final List<String> INVALID_INPUT = List.of("model.diffusion_model.", "first_stage_model.",
            "single_transformer_blocks.", "joint_transformer_blocks.");

    /**
     * The decision for one tensor.
     *
     * @param dims        the dims llama-quantize stores (ggml n_dims, then the patch's n_dims fixes)
     * @param quantizable selected for quantization by the image-model rules
     * @param type        the output type
     */
    record Result(long[] dims, boolean quantizable, GgmlType type, String reason) {
    }

    private final Architecture arch;
    private final QuantLevel level;
    /** {@code qs.i_attention_wv}: V tensors seen so far. */
    private int vTensorsSeen;

    QuantizeStage(Architecture arch, QuantLevel level) {
        this.arch = arch;
        this.level = level;
    }

    /**
     * Decides one tensor as llama-quantize would; a level without quantization (F32/F16/BF16) only reports whether
     * the tensor would be quantizable and keeps convert.py's type and dims.
     */
    Result next(ConvertStage.Result t) {
        long[] ggufPyDims = t.ggufPyDims();
        long[] ne = Arrays.copyOf(ggufPyDims, 4);
        for (int i = ggufPyDims.length; i < 4; i++) ne[i] = 1;
        int ggmlDims = ggmlNDims(ggufPyDims);
        Optional<String> notQuantized = whyNotQuantized(t.name(), ggmlDims);

        if (level.isUnquantized()) {
            // convert.py's own file: gguf-py stores every numpy dim, no trimming, no n_dims fixes.
            return new Result(ggufPyDims, notQuantized.isEmpty(), t.type(), t.reason());
        }

        int storedDims = arch.storedDims(t.name(), ne, ggmlDims);
        long[] dims = Arrays.copyOf(ne, storedDims);
        if (notQuantized.isPresent()) {
            return new Result(dims, false, t.type(), t.type() + " kept: " + notQuantized.get() + " (" + t.reason() + ")");
        }

        for (String bad : INVALID_INPUT) {
            if (t.name().contains(bad)) {
                throw new ConversionException("tensor '" + t.name() + "' contains '" + bad + "': not a supported "
                        + arch.ggufName + " model layout (llama-quantize refuses it as an invalid input)");
            }
        }
        MixtureRules.Role role = MixtureRules.Role.of(t.name());
        GgmlType type = MixtureRules.typeFor(level, role, vTensorsSeen);
        String why = type == level.baseType
                ? type + ": base type of " + level
                : type + ": " + roleText(role) + " override of " + level;
        if (role == MixtureRules.Role.V) vTensorsSeen++;

        // The patch checks K-quant rows against QK_K = 256 and falls back to F16 (even for BF16 data). Rows other
        // block sizes do not divide would make ggml abort; QuantHub falls back to F16 for them too (extension).
        if (ne[0] % type.blockSize != 0) {
            why = "F16: row length " + ne[0] + " is not a multiple of " + type + "'s block of " + type.blockSize
                    + (MixtureRules.isKQuant(type) ? " (llama-quantize's K-quant fallback)" : " (QuantHub fallback)");
            type = GgmlType.F16;
        }
        return new Result(dims, true, type, why);
    }

    /** Why llama-quantize leaves this tensor as it is, or empty when it quantizes it. */
    private Optional<String> whyNotQuantized(String name, int ggmlDims) {
        if (!endsInWeight(name)) return Optional.of("name does not end in 'weight'");
        if (ggmlDims != 2) return Optional.of(ggmlDims + "-D (only 2-D weights are quantized)");
        for (String s : LLAMA_NEVER_QUANTIZE) {
            if (name.contains(s)) return Optional.of("llama-quantize never quantizes '" + s + "'");
        }
        return arch.neverQuantizeMatch(name).map(m -> "never quantized for " + arch.ggufName + " ('" + m + "')");
    }

    /**
     * llama.cpp's {@code name.rfind("weight") == name.size() - 6}. With unsigned arithmetic a 5-byte name also
     * passes (npos == 5 - 6); such names are kept faithful to the original.
     */
    static boolean endsInWeight(String name) {
        return name.endsWith("weight") || name.getBytes(StandardCharsets.UTF_8).length == 5;
    }

    /** {@code ggml_n_dims}: trailing dims of size 1 do not count; at least 1. */
    static int ggmlNDims(long[] dims) {
        int n = dims.length;
        while (n > 1 && dims[n - 1] == 1) n--;
        return n;
    }

    private static String roleText(MixtureRules.Role role) {
        return switch (role) {
            case V -> "attention V";
            case QKV -> "fused QKV";
            case FFN_DOWN -> "FFN down";
            case OTHER -> "other";
        };
    }
}
