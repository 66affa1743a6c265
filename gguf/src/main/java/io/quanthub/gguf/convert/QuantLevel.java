package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The quantization level a user asks for ({@code quanthub convert --quant TYPE}): llama-quantize's file types that
 * ComfyUI-GGUF produces, plus the unquantized F32/F16/BF16 outputs of its convert.py.
 *
 * <p>{@link #ftypeId} is llama.cpp's {@code llama_ftype}, stored as {@code general.file_type}; {@link #baseType} is
 * {@code llama_ftype_get_default_type} (spec gguf-and-quants.md §9.1). The {@code _S/_M/_L} variants share a base
 * type and differ only in the per-tensor overrides of {@link MixtureRules}.
 *
 * <p>IQ4_NL and IQ4_XS are an extension: ComfyUI-GGUF's lcpp.patch refuses every IQ file type for image models
 * ("Invalid quantization type for image model") because llama.cpp's IQ mixtures assume an importance matrix. Both
 * are usable without one (ggml quantizes them unweighted) and ComfyUI-GGUF dequantizes both on the GPU, so QuantHub
 * offers them with the simplest possible rule: every quantizable tensor gets the plain base type, with no
 * {@code _S/_M}-style overrides, and rows the block size does not divide fall back to F16 like the K-quants.
 */
public enum QuantLevel {
    F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    BF16(32, GgmlType.BF16),
    Q8_0(7, GgmlType.Q8_0),
    Q6_K(18, GgmlType.Q6_K),
    Q5_K_M(17, GgmlType.Q5_K),
    Q5_K_S(16, GgmlType.Q5_K),
    Q5_1(9, GgmlType.Q5_1),
    Q5_0(8, GgmlType.Q5_0),
    Q4_K_M(15, GgmlType.Q4_K),
    Q4_K_S(14, GgmlType.Q4_K),
    Q4_1(3, GgmlType.Q4_1),
    Q4_0(2, GgmlType.Q4_0),
    Q3_K_L(13, GgmlType.Q3_K),
    Q3_K_M(12, GgmlType.Q3_K),
    Q3_K_S(11, GgmlType.Q3_K),
    Q2_K(10, GgmlType.Q2_K),
    IQ4_NL(25, GgmlType.IQ4_NL),
    IQ4_XS(30, GgmlType.IQ4_XS);

    /** llama.cpp's {@code llama_ftype}, the value of {@code general.file_type}. */
    public final int ftypeId;
    /** The type of a quantizable tensor before any per-tensor override. */
    public final GgmlType baseType;

    QuantLevel(int ftypeId, GgmlType baseType) {
        this.ftypeId = ftypeId;
        this.baseType = baseType;
    }

    /** True for F32/F16/BF16: convert.py's output, no llama-quantize pass. */
    public boolean isUnquantized() {
        return !baseType.isQuantized();
    }

    /** Parses a level name, case-insensitively ("q4_k_m", "Q8_0"). */
    public static QuantLevel parse(String name) {
        String upper = name.trim().toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(l -> l.name().equals(upper)).findFirst()
                .orElseThrow(() -> new ConversionException("unknown quantization type '" + name + "'; valid types: "
                        + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "))));
    }
}
