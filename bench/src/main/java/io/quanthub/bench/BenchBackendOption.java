package io.quanthub.bench;

import io.quanthub.inference.compute.Backends;
import io.quanthub.inference.compute.ComputeBackend;
import picocli.CommandLine.Option;

import java.util.function.Supplier;

/**
 * {@code --backend cpu|tornado[:DEVICE]} for the benchmarks that run the engine (a picocli mixin). Unlike the
 * commands', its default is cpu, not auto: a run's figures stay comparable with the history whatever the machine has.
 */
final class BenchBackendOption {
    @Option(names = "--backend", defaultValue = Backends.CPU, paramLabel = "cpu|tornado[:DEVICE]",
            description = "Where the engine computes (default: ${DEFAULT-VALUE}); tornado needs the TornadoVM SDK "
                    + "(scripts/tornadovm.sh) and ./quanthub.")
    String backend;

    private Supplier<ComputeBackend> factory;

    /** The selected backend's factory, looked up once; a one-line error for a backend this build cannot run. */
    Supplier<ComputeBackend> factory() {
        if (factory == null) factory = Backends.parse(backend);
        return factory;
    }

    boolean isCpu() {
        return Backends.CPU.equals(backend.strip());
    }
}
