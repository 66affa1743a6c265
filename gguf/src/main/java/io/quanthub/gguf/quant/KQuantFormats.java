package io.quanthub.gguf.quant;

import java.util.List;

/** ggml's K-quants on 256-value super-blocks (Q2_K ... Q6_K). */
final class KQuantFormats {
    private KQuantFormats() {
    }

    static List<QuantFormat> all() {
        return List.of(new Q2KFormat(), new Q3KFormat(), new Q4KFormat(), new Q5KFormat(), new Q6KFormat());
    }
}
