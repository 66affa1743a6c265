package io.quanthub.gguf.format;

import io.quanthub.gguf.GgmlType;

import java.nio.charset.StandardCharsets;

/**
 * The rules a tensor's name, dims and type must follow in a GGUF file, shared by the reader (which reports a broken
 * file) and by {@link TensorSpec}/{@link TensorInfo} (which reject a wrong call).
 */
final class TensorShapes {
    /** ComfyUI-GGUF raises ggml's GGML_MAX_NAME to 128 (127 bytes + NUL); stock ggml allows 63 bytes. */
    static final int MAX_NAME_BYTES = 127;
    /** ComfyUI stores 5-D Conv3d kernels (HunyuanVideo, Wan) as F32; stock ggml allows 4 dims. */
    static final int MAX_DIMS = 5;

    private TensorShapes() {
    }

    /** Why this name cannot be stored, or null when it can. */
    static String nameProblem(String name) {
        if (name.isEmpty()) return "empty tensor name";
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_NAME_BYTES) {
            return "tensor name is " + bytes + " bytes long, more than " + MAX_NAME_BYTES;
        }
        return null;
    }

    /** Why these dims cannot be stored with this type, or null when they can. */
    static String shapeProblem(long[] dims, GgmlType type) {
        if (dims.length < 1 || dims.length > MAX_DIMS) {
            return "tensor has " + dims.length + " dims, expected 1 to " + MAX_DIMS;
        }
        for (long d : dims) {
            if (d < 0) return "tensor has a negative dimension " + d;
        }
        if (elementCountOrNegative(dims) < 0) return "tensor element count overflows 64 bits";
        if (dims[0] % type.blockSize != 0) {
            return "tensor row length ne0=" + dims[0] + " is not a multiple of " + type + "'s block size "
                    + type.blockSize;
        }
        if (elementCountOrNegative(dims) / type.blockSize > Long.MAX_VALUE / type.typeSize) {
            return "tensor byte size overflows 64 bits";
        }
        return null;
    }

    /**
     * The product of the dims, or -1 when it overflows a long. Zero dims count as 1 for the overflow check, so that
     * row counts of empty tensors cannot overflow either.
     */
    static long elementCountOrNegative(long[] dims) {
        long n = 1;
        boolean empty = false;
        for (long d : dims) {
            if (d == 0) {
                empty = true;
            } else {
                if (n > Long.MAX_VALUE / d) return -1;
                n *= d;
            }
        }
        return empty ? 0 : n;
    }
}
