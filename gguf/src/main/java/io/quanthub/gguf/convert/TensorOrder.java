package io.quanthub.gguf.convert;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/**
 * The order in which llama-quantize processes and writes tensors (spec gguf-and-quants.md §1.6): its model loader
 * keeps them in a {@code std::map} ordered by {@code weight_name_comparer}, first by the layer number that
 * {@code sscanf(name, "blk.%d.")} finds (-1 when the name does not start with {@code blk.}), then by name with
 * {@code std::string}'s byte-wise, unsigned comparison.
 *
 * <p>Diffusion-model names never start with {@code blk.}, so for them this is a plain byte-wise sort of the UTF-8
 * names. That is also the order convert.py writes (safetensors lists its keys sorted), so one order serves the
 * unquantized levels too. The layer rule is still implemented, so that any name gets llama-quantize's position.
 */
public final class TensorOrder {
    /** Orders output tensor names as llama-quantize writes them. */
    public static final Comparator<String> LLAMA_QUANTIZE =
            Comparator.comparingInt(TensorOrder::layerOf).thenComparing(TensorOrder::compareBytes);

    private TensorOrder() {
    }

    /**
     * {@code sscanf(name, "blk.%d.", &layer)} with layer preset to -1: the literal {@code blk.}, then {@code %d}
     * (optional white space, an optional sign, decimal digits). Overflowing numbers are undefined in C; they do not
     * occur in real names and are clamped here.
     */
    static int layerOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int i = 4;
        while (i < name.length() && isCSpace(name.charAt(i))) i++;
        boolean negative = false;
        if (i < name.length() && (name.charAt(i) == '+' || name.charAt(i) == '-')) {
            negative = name.charAt(i) == '-';
            i++;
        }
        int start = i;
        long value = 0;
        while (i < name.length() && name.charAt(i) >= '0' && name.charAt(i) <= '9') {
            value = Math.min(value * 10 + (name.charAt(i) - '0'), Integer.MAX_VALUE);
            i++;
        }
        if (i == start) return -1;
        return (int) (negative ? -value : value);
    }

    /** C's isspace in the "C" locale. */
    private static boolean isCSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /** std::string's operator&lt;: byte-wise over the UTF-8 bytes, as unsigned values, shorter prefix first. */
    static int compareBytes(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
