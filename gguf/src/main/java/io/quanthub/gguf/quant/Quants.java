package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The registry of every type QuantHub can write: {@code Quants.of(GgmlType.Q4_K).quantize(...)}. */
public final class Quants {
    private static final Map<GgmlType, QuantFormat> FORMATS = new EnumMap<>(GgmlType.class);

    static {
        for (QuantFormat f : LegacyFormats.all()) FORMATS.put(f.type(), f);
        for (QuantFormat f : KQuantFormats.all()) FORMATS.put(f.type(), f);
    }

    private Quants() {
    }

    public static boolean supports(GgmlType type) {
        return FORMATS.containsKey(type);
    }

    /** The format for a type; fails with a clear message for types QuantHub cannot write. */
    public static QuantFormat of(GgmlType type) {
        QuantFormat f = FORMATS.get(type);
        if (f == null) {
            throw new UnsupportedOperationException("QuantHub cannot quantize to " + type + "; supported: " + supported());
        }
        return f;
    }

    public static List<GgmlType> supported() {
        return Arrays.stream(GgmlType.values()).filter(FORMATS::containsKey).toList();
    }
}
