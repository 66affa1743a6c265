package io.quanthub.inference.compute;

/**
 * A weight loaded into a {@link ComputeBackend} by {@link ComputeBackend#load}, in the type it is stored in (F32, F16,
 * BF16 or any quantized GGUF type): the backend dequantizes it inside its kernels. The CPU backend keeps the
 * memory-mapped bytes where they are; a GPU backend copies them to the device once.
 */
public interface BackendWeight {
    /** The stored tensor this was loaded from (name, type, shape). */
    Weight source();

    /** Output features of a Linear weight [out, in] (every dim but the last). */
    default int rows() {
        return source().rows();
    }

    /** Input features of a Linear weight (the last dim). */
    default int cols() {
        return source().cols();
    }
}
