package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** Little-endian fields of quantized blocks, read inside kernels from the weight's GGUF bytes. */
final class Blocks {
    private Blocks() {
    }

    static int u8(ByteArray w, int i) {
        return w.get(i) & 0xFF;
    }

    static int u16(ByteArray w, int i) {
        return u8(w, i) | (u8(w, i + 1) << 8);
    }

    static int u32(ByteArray w, int i) {
        return u16(w, i) | (u16(w, i + 2) << 16);
    }

    /** An fp16 field, through the {@link HalfTables#fp16()} table. */
    static float fp16(ByteArray w, int i, FloatArray fp16) {
        return fp16.get(u16(w, i));
    }
}
