package io.quanthub.gguf.quant;

import java.util.List;

/** Plain float types and ggml's 32-value block types (Q4_0 ... Q8_0, IQ4_NL, IQ4_XS). */
final class LegacyFormats {
    private LegacyFormats() {
    }

    static List<QuantFormat> all() {
        return List.of(FloatFormats.F32, FloatFormats.F16, FloatFormats.BF16,
                new Q8_0Format(), new Q4_0Format(), new Q4_1Format(), new Q5_0Format(), new Q5_1Format(),
                IQ4Format.nl(), IQ4Format.xs());
    }
}
