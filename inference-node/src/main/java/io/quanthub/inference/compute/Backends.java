package io.quanthub.inference.compute;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * The backends a command can select with {@code --backend}: {@code cpu}, {@code NAME[:DEVICE]} for a
 * {@link BackendProvider} on the class path (TornadoVM's is {@code tornado}, e.g. {@code tornado:0}), or {@code auto}
 * (the default): the first provider that finds a GPU, else the CPU.
 */
public final class Backends {
    public static final String CPU = "cpu";
    public static final String AUTO = "auto";
    public static final String TORNADO = "tornado";

    private Backends() {
    }

    /**
     * The backend {@code spec} names, as a factory (a preview node opens one per loaded model). The provider is looked
     * up now, so a backend this build cannot run fails before anything starts.
     *
     * @throws IllegalArgumentException with a one-line reason if {@code spec} is not a backend this build can run
     */
    public static Supplier<ComputeBackend> parse(String spec) {
        return parse(spec, BackendProvider.class.getClassLoader());
    }

    /** {@link #parse(String)} with the providers {@code loader} finds (tests give it their own class path). */
    static Supplier<ComputeBackend> parse(String spec, ClassLoader loader) {
        String s = spec == null ? "" : spec.trim();
        if (s.equals(CPU)) return CpuBackend::new;
        Providers found = Providers.load(loader);
        if (s.equals(AUTO)) {
            for (BackendProvider p : found.providers) {
                if (hasGpu(p)) return () -> open(p, p.name(), null);
            }
            return CpuBackend::new;
        }
        int colon = s.indexOf(':');
        String name = colon < 0 ? s : s.substring(0, colon);
        String device = colon < 0 ? null : s.substring(colon + 1);
        if (name.equals(CPU)) throw new IllegalArgumentException("--backend " + s + ": cpu takes no device; use cpu");
        if (device != null && device.isEmpty()) {
            throw new IllegalArgumentException("--backend " + s + ": no device after ':' (e.g. " + name + ":0)");
        }
        for (BackendProvider p : found.providers) {
            if (p.name().equals(name)) return () -> open(p, s, device);
        }
        if (name.equals(TORNADO)) {
            throw new IllegalArgumentException("--backend " + s + ": the TornadoVM backend is not on this class path: "
                    + "build its SDK with scripts/tornadovm.sh (or set TORNADOVM_HOME) and run through ./quanthub"
                    + found.failures());
        }
        List<String> names = new ArrayList<>(List.of(AUTO, CPU));
        found.providers.forEach(p -> names.add(p.name() + "[:DEVICE]"));
        if (found.providers.stream().noneMatch(p -> p.name().equals(TORNADO))) names.add(TORNADO + "[:DEVICE]");
        throw new IllegalArgumentException("--backend '" + s + "' is not a backend: use " + String.join(", ", names)
                + found.failures());
    }

    /** {@code p}'s backend on {@code device}; its one-line reason for a device it lacks names the option. */
    private static ComputeBackend open(BackendProvider p, String spec, String device) {
        try {
            return p.open(device);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--backend " + spec + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code p} finds a GPU; a runtime that cannot start (a missing native library) finds none. */
    private static boolean hasGpu(BackendProvider p) {
        try {
            return p.hasGpu();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** The line every run that uses the engine prints to stderr. */
    public static String describe(ComputeBackend backend) {
        return "backend: " + backend.description();
    }

    /**
     * The providers that loaded, and why the others did not: a provider whose class fails to link (its runtime's
     * jars missing) counts as absent rather than stopping the command.
     */
    private record Providers(List<BackendProvider> providers, List<String> reasons) {
        static Providers load(ClassLoader loader) {
            List<BackendProvider> providers = new ArrayList<>();
            List<String> reasons = new ArrayList<>();
            Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class, loader).iterator();
            // After an error the iterator goes on to the next provider (best effort): the bound stops a loop on one.
            for (int errors = 0; errors < 16; ) {
                try {
                    if (!it.hasNext()) break;
                    providers.add(it.next());
                } catch (ServiceConfigurationError | LinkageError e) {
                    errors++;
                    reasons.add(reason(e));
                }
            }
            return new Providers(providers, reasons);
        }

        String failures() {
            return reasons.isEmpty() ? "" : " (a backend provider failed to load: " + String.join("; ", reasons) + ")";
        }

        private static String reason(Throwable e) {
            StringBuilder s = new StringBuilder(String.valueOf(e.getMessage()));
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) s.append(": ").append(c);
            return s.toString().replace('\n', ' ');
        }
    }
}
