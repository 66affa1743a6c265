package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The {@code byte[]} overload of {@link QuantFormat#dequantize(byte[], int, float[], int, int)}: the blocks are
 * copied, up to 4 KiB at a time, into a per-thread buffer of native memory, and the type's one kernel (the
 * {@code MemorySegment} overload) reads them there.
 *
 * <p>Why not {@code MemorySegment.ofArray}: the JIT compiles each segment access for the kinds of segment it has
 * seen there. Kernels that had read arrays and a mapped file both ran at about half the speed of kernels that had
 * read only mapped or native memory (Q8_0, Q4_K, IQ4_NL), and while they were being recompiled far slower (Q6_K at 15
 * M values/s); see {@code DequantizeSpeed} in docs/benchmarks.md. Arrays are dequantized by the converter's quality
 * measure and by tests; the inference node's matmul reads the mapped file, and keeps its speed in a process that
 * does both.
 */
final class ArrayStaging {
    /** Bytes staged at a time: whole blocks, well inside L1 together with the floats they become. */
    static final int CHUNK_BYTES = 4096;

    private static final ThreadLocal<MemorySegment> CHUNK =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CHUNK_BYTES, 64));

    private ArrayStaging() {
    }

    /** Dequantizes {@code n} values from {@code src[srcOff..]}; arguments are checked by the caller. */
    static void dequantize(QuantFormat format, byte[] src, int srcOff, float[] dst, int dstOff, int n) {
        GgmlType type = format.type();
        MemorySegment chunk = CHUNK.get();
        int blocksPerChunk = CHUNK_BYTES / type.typeSize;
        int blocks = QuantArgs.blockCount(type, n);
        for (int done = 0; done < blocks; done += blocksPerChunk) {
            int count = Math.min(blocksPerChunk, blocks - done);
            MemorySegment.copy(src, srcOff + done * type.typeSize, chunk, ValueLayout.JAVA_BYTE, 0,
                    count * type.typeSize);
            format.dequantize(chunk, 0, dst, dstOff + done * type.blockSize, count * type.blockSize);
        }
    }
}
