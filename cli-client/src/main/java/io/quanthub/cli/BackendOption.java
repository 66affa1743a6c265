package io.quanthub.cli;

import io.quanthub.inference.compute.Backends;
import io.quanthub.inference.compute.ComputeBackend;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.function.Supplier;

/** {@code --backend auto|cpu|tornado[:DEVICE]} for the commands that run the engine (a picocli mixin). */
final class BackendOption {
    @Option(names = "--backend", defaultValue = Backends.AUTO, paramLabel = "auto|cpu|tornado[:DEVICE]",
            description = "Where the engine computes: cpu, tornado[:DEVICE] (TornadoVM; DEVICE as its device list "
                    + "numbers them, e.g. 0 or 0:1), or auto (default): tornado when it finds a GPU, else cpu. "
                    + "tornado needs the TornadoVM SDK (scripts/tornadovm.sh or TORNADOVM_HOME) and ./quanthub.")
    String backend;

    private Supplier<ComputeBackend> factory;

    /**
     * The selected backend's factory, looked up once (auto asks the providers for a GPU); a one-line error for a
     * backend this build cannot run.
     */
    Supplier<ComputeBackend> factory() {
        if (factory == null) factory = Backends.parse(backend);
        return factory;
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
