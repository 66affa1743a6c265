package io.quanthub.gguf.quant;

import io.quanthub.gguf.GgmlType;

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
        checkRange(type, "source", src.length, srcOff, (long) nRows * nPerRow, "values");
        checkRange(type, "destination", dst.length, dstOff, nRows * type.rowBytes(nPerRow), "bytes");
        if (imatrix != null && imatrix.length < nPerRow) {
            throw new IllegalArgumentException(type + ": importance matrix has " + imatrix.length
                    + " entries, the row length is " + nPerRow);
        }
    }

    /** Checks the arguments of {@link QuantFormat#dequantize}. */
    static void checkDequantize(GgmlType type, byte[] src, int srcOff, float[] dst, int dstOff, int n) {
        if (n < 0 || n % type.blockSize != 0) {
            throw new IllegalArgumentException(type + ": value count " + n + " is not a non-negative multiple of the"
                    + " block size " + type.blockSize);
        }
        checkRange(type, "source", src.length, srcOff, type.rowBytes(n), "bytes");
        checkRange(type, "destination", dst.length, dstOff, n, "values");
    }

    private static void checkRange(GgmlType type, String what, int length, int off, long needed, String unit) {
        if (off < 0 || off + needed > length) {
            throw new IllegalArgumentException(type + ": " + what + " array of " + length + " " + unit + " cannot hold "
                    + needed + " " + unit + " from offset " + off);
        }
    }
}
