package io.quanthub.tornado;

import io.quanthub.gguf.quant.Numerics;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The value of every 16-bit float bit pattern, for kernels that read fp16 (F16 weights, the d/dmin of quantized
 * blocks) or bf16 weights: one table lookup instead of bit reinterpretation, which OpenCL devices without fp16 (POCL)
 * and TornadoVM's code generation do not all offer. Filled by the CPU dequantizers' own conversions, so both agree.
 */
final class HalfTables {
    static final int ENTRIES = 1 << 16;

    private HalfTables() {
    }

    /** {@code table[bits]} = the fp16 value with those bits. */
    static FloatArray fp16() {
        FloatArray table = new FloatArray(ENTRIES);
        for (int bits = 0; bits < ENTRIES; bits++) table.set(bits, Numerics.fp16ToFp32((short) bits));
        return table;
    }

    /** {@code table[bits]} = the bf16 value with those bits (the top half of an F32). */
    static FloatArray bf16() {
        FloatArray table = new FloatArray(ENTRIES);
        for (int bits = 0; bits < ENTRIES; bits++) table.set(bits, Numerics.bf16ToFp32((short) bits));
        return table;
    }
}
