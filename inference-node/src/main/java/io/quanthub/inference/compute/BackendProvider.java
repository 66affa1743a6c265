package io.quanthub.inference.compute;

/**
 * A compute backend built in a module of its own and found with {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/io.quanthub.inference.compute.BackendProvider} entry), so this module builds and runs where
 * that backend's runtime is absent. TornadoVM's provider lives in {@code inference-tornado}.
 */
public interface BackendProvider {
    /** The name {@code --backend} selects it by, e.g. {@code tornado}. */
    String name();

    /**
     * Whether this backend can run a GPU here (its runtime loads and lists a GPU device): {@code --backend} left out
     * picks the first provider that does, else the CPU.
     */
    boolean hasGpu();

    /**
     * A new backend on {@code device}.
     *
     * @param device what followed {@code name:} in {@code --backend}, or null for the provider's default device
     * @throws IllegalArgumentException with a one-line reason if there is no such device or the runtime cannot start
     */
    ComputeBackend open(String device);
}
