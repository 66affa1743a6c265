package io.quanthub.inference.compute;

/**
 * An activation owned by a {@link ComputeBackend}: a row-major matrix of {@link #rows()} x {@link #cols()} floats
 * that lives where the backend computes (a heap array on the CPU backend, a device buffer on a GPU backend). Only the
 * backend that made a tensor may read it; its values reach the host only through {@link ComputeBackend#download}.
 * Images are planar, [channels x (height * width)].
 */
public interface Tensor {
    int rows();

    int cols();

    /** {@code rows() * cols()}. */
    default long size() {
        return (long) rows() * cols();
    }
}
