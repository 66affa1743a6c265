package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link QuantFormat#dequantize(MemorySegment, long, float[], int, int)} for every type: the blocks are staged, a few
 * kilobytes at a time, through a per-thread buffer that stays in L1, and dequantized there by the type's one
 * {@code byte[]} kernel. A segment backed by a {@code byte[]} goes to that kernel directly.
 *
 * <p>Why not kernels that read the segment themselves: measured with DequantizeSpeed, the same kernels written
 * against {@code MemorySegment} ran 2 to 5 times slower for the K-quants from a mapped file, and slowed the
 * {@code byte[]} path as well once both kinds of segment (heap and mapped) had passed through them: the JIT's type
 * profile at each access is shared by every caller, and a K-quant block's dozens of segment reads no longer inline.
 * One bulk copy per chunk costs a few percent instead, and each type keeps one kernel.
 */
final class SegmentBlocks {
    /** Bytes staged at a time: whole blocks, well inside L1 together with the floats they become. */
    static final int CHUNK_BYTES = 4096;

    private static final ThreadLocal<byte[]> CHUNK = ThreadLocal.withInitial(() -> new byte[CHUNK_BYTES]);

    private SegmentBlocks() {
    }

    /**
     * Each format calls this from its own override with itself as the kernel: inlined there, the kernel call binds to
     * that format's (final) method instead of dispatching on the type of every format that came through here.
     */
    static void dequantize(GgmlType type, DequantizeKernel kernel, MemorySegment src, long srcOff, float[] dst,
                           int dstOff, int n) {
        QuantArgs.checkDequantize(type, src, srcOff, dst, dstOff, n);
        // A read-only heap segment has no heapBase and is staged like native memory.
        if (!src.isNative() && src.heapBase().orElse(null) instanceof byte[] array) {
            // A heap segment's address is its offset within the array.
            kernel.dequantizeUnchecked(array, Math.toIntExact(src.address() + srcOff), dst, dstOff, n);
            return;
        }
        byte[] chunk = CHUNK.get();
        int blockBytes = type.typeSize;
        int blockValues = type.blockSize;
        int blocks = QuantArgs.blockCount(type, n);
        if ((long) blocks * blockBytes <= CHUNK_BYTES) {
            // The common call (a matmul's 256-value slice): one copy, one kernel call, nothing to divide.
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff, chunk, 0, blocks * blockBytes);
            kernel.dequantizeUnchecked(chunk, 0, dst, dstOff, n);
            return;
        }
        int blocksPerChunk = CHUNK_BYTES / blockBytes;
        for (int done = 0; done < blocks; done += blocksPerChunk) {
            int count = Math.min(blocksPerChunk, blocks - done);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff + (long) done * blockBytes, chunk, 0,
                    count * blockBytes);
            kernel.dequantizeUnchecked(chunk, 0, dst, dstOff + done * blockValues, count * blockValues);
        }
    }
}
