package io.quanthub.inference.compute;

import java.util.function.Supplier;

/**
 * The backends a command can select with {@code --backend}: {@code cpu}, or {@code tornado[:DEVICE]} (TornadoVM on a
 * device, e.g. {@code tornado:0}), which is not part of this build yet.
 */
public final class Backends {
    public static final String CPU = "cpu";

    private Backends() {
    }

    /**
     * The backend {@code spec} names, as a factory (a preview node opens one per loaded model).
     *
     * @throws IllegalArgumentException with a one-line reason if {@code spec} is not a backend this build can run
     */
    public static Supplier<ComputeBackend> parse(String spec) {
        String s = spec == null ? "" : spec.trim();
        if (s.equals(CPU)) return CpuBackend::new;
        if (s.equals("tornado") || s.startsWith("tornado:")) {
            throw new IllegalArgumentException("--backend " + s + ": the TornadoVM backend is not part of this build"
                    + " yet; use --backend cpu");
        }
        throw new IllegalArgumentException("--backend '" + s + "' is not a backend: use cpu or tornado[:DEVICE]");
    }

    /** The line every run that uses the engine prints to stderr. */
    public static String describe(ComputeBackend backend) {
        return "backend: " + backend.description();
    }
}
