package io.quanthub.cli;

import io.quanthub.inference.compute.Backends;
import io.quanthub.inference.compute.ComputeBackend;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.function.Supplier;

/** {@code --backend cpu|tornado[:DEVICE]} for the commands that run the engine (a picocli mixin). */
final class BackendOption {
    @Option(names = "--backend", defaultValue = Backends.CPU, paramLabel = "cpu|tornado[:DEVICE]",
            description = "Where the engine computes: cpu (default), or tornado[:DEVICE] once that backend is built.")
    String backend;

    /** The selected backend's factory; a one-line error for a backend this build cannot run. */
    Supplier<ComputeBackend> factory() {
        return Backends.parse(backend);
    }

    /** A new backend of the selected kind. */
    ComputeBackend create() {
        return factory().get();
    }

    /**
     * Prints {@code backend: <name> <device>} to {@code err}: once the model is loaded, so a file that is not a model
     * still fails with one line.
     */
    static void announce(ComputeBackend backend, PrintWriter err) {
        err.println(Backends.describe(backend));
        err.flush();
    }
}
