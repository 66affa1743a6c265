package io.quanthub.inference.text;

import io.quanthub.gguf.safetensors.Dtype;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Rounds floats to float8 codes (nearest, ties to the even code), as {@code tensor.to(torch.float8_e4m3fn)} does. */
final class Float8 {
    private Float8() {
    }

    static byte[] encode(float[] values, Dtype dtype) {
        // The non-negative finite codes in increasing order of value (E4M3: 0x00..0x7E; E5M2: 0x00..0x7B).
        int count = dtype == Dtype.F8_E4M3 ? 0x7F : 0x7C;
        float[] table = new float[count];
        dtype.widen(MemorySegment.ofArray(codes(count)), 0, table, 0, count);
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            float a = Math.min(Math.abs(v), table[count - 1]); // saturate, as ComfyUI's fp8 files do
            int hi = Arrays.binarySearch(table, a);
            int code;
            if (hi >= 0) {
                code = hi;
            } else {
                int upper = -hi - 1;
                int lower = upper - 1;
                float dl = a - table[lower];
                float du = table[upper] - a;
                code = dl < du ? lower : du < dl ? upper : (lower % 2 == 0 ? lower : upper);
            }
            out[i] = (byte) (code | (v < 0 || (v == 0 && 1 / v < 0) ? 0x80 : 0));
        }
        return out;
    }

    private static byte[] codes(int count) {
        byte[] b = new byte[count];
        for (int i = 0; i < count; i++) b[i] = (byte) i;
        return b;
    }
}
