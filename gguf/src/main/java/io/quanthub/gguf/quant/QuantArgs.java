package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Argument checks shared by every {@link QuantFormat}: bad shapes or short arrays fail up front with one line that
 * names the problem, instead of an index error deep inside a kernel or silently wrong bytes.
 */
final class QuantArgs {
    private QuantArgs() {
    }

    /** Checks the arguments of {@link QuantFormat#quantize}. */
    static void checkQuantize(GgmlType type, float[] src, int srcOff, byte[] dst, int dstOff, int nRows, int nPerRow,
                              float[] imatrix) {
        if (nRows < 0 || nPerRow < 0) {
            throw new IllegalArgumentException(type + ": negative shape " + nRows + "x" + nPerRow);
        }
        if (nPerRow % type.blockSize != 0) {
            throw new IllegalArgumentException(type + ": row length " + nPerRow + " is not a multiple of the block size "
                    + type.blockSize);
        }
        checkRange(type, "source array", src.length, srcOff, (long) nRows * nPerRow, "values");
        checkRange(type, "destination array", dst.length, dstOff, nRows * type.rowBytes(nPerRow), "bytes");
        if (imatrix != null && imatrix.length < nPerRow) {
            throw new IllegalArgumentException(type + ": importance matrix has " + imatrix.length
                    + " entries, the row length is " + nPerRow);
        }
    }

    /** Checks the arguments of {@link QuantFormat#dequantize(byte[], int, float[], int, int)}. */
    static void checkDequantize(GgmlType type, byte[] src, int srcOff, float[] dst, int dstOff, int n) {
        checkDequantize(type, "array", src.length, srcOff, dst, dstOff, n);
    }

    /** Checks the arguments of {@link QuantFormat#dequantize(MemorySegment, long, float[], int, int)}. */
    static void checkDequantize(GgmlType type, MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        checkDequantize(type, "segment", src.byteSize(), srcOff, dst, dstOff, n);
    }

    private static void checkDequantize(GgmlType type, String source, long srcLength, long srcOff, float[] dst,
                                        int dstOff, int n) {
        // No division: the checks run on every call, and the matmul asks for 256 values at a time.
        int blocks = blockCount(type, n);
        if (n < 0 || blocks * type.blockSize != n) {
            throw new IllegalArgumentException(type + ": value count " + n + " is not a non-negative multiple of the"
                    + " block size " + type.blockSize);
        }
        checkRange(type, "source " + source, srcLength, srcOff, (long) blocks * type.typeSize, "bytes");
        checkRange(type, "destination array", dst.length, dstOff, n, "values");
    }

    /** {@code n / type.blockSize}, by a shift: every ggml block size is a power of two (BlockLayoutTest checks). */
    static int blockCount(GgmlType type, int n) {
        return n >> Integer.numberOfTrailingZeros(type.blockSize);
    }

    private static void checkRange(GgmlType type, String what, long length, long off, long needed, String unit) {
        if (off < 0 || off + needed > length) {
            throw new IllegalArgumentException(type + ": " + what + " of " + length + " " + unit + " cannot hold "
                    + needed + " " + unit + " from offset " + off);
        }
    }
}
