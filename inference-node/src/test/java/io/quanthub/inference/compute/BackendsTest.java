package io.quanthub.inference.compute;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --backend}: cpu, a provider found through {@link java.util.ServiceLoader} by name and device, the default
 * (a provider with a GPU, else cpu), and one-line errors for backends that are absent, unknown or fail to load. The
 * providers are registered in a class path folder of each test's own, so no other test sees them.
 */
class BackendsTest {
    @TempDir
    Path dir;

    /** A second backend that really computes: the CPU backend under another name, on the device it was opened on. */
    public static final class TwinProvider implements BackendProvider {
        @Override
        public String name() {
            return "twin";
        }

        @Override
        public boolean hasGpu() {
            return true;
        }

        @Override
        public ComputeBackend open(String device) {
            if ("9".equals(device)) throw new IllegalArgumentException("twin has no device 9");
            return new ForwardingBackend(new CpuBackend()) {
                @Override
                public String description() {
                    return "twin " + (device == null ? "default" : device);
                }
            };
        }
    }

    /** A provider whose runtime is missing: its class cannot initialise. */
    public static final class BrokenProvider implements BackendProvider {
        static {
            if (true) throw new UnsupportedOperationException("libOpenCL.so.1: cannot open shared object file");
        }

        @Override
        public String name() {
            return "broken";
        }

        @Override
        public boolean hasGpu() {
            return true;
        }

        @Override
        public ComputeBackend open(String device) {
            throw new AssertionError();
        }
    }

    /** A provider that loads but finds no GPU. */
    public static final class NoGpuProvider implements BackendProvider {
        @Override
        public String name() {
            return "nogpu";
        }

        @Override
        public boolean hasGpu() {
            throw new UnsatisfiedLinkError("no tornado-opencl in java.library.path");
        }

        @Override
        public ComputeBackend open(String device) {
            return new CpuBackend();
        }
    }

    @Test
    void cpuAndANamedProviderOnItsDevice() throws Exception {
        ClassLoader loader = registered(TwinProvider.class.getName());
        assertInstanceOf(CpuBackend.class, Backends.parse("cpu", loader).get());
        assertEquals("twin 0", Backends.parse("twin:0", loader).get().description());
        assertEquals("twin default", Backends.parse("twin", loader).get().description());
        ComputeBackend twin = Backends.parse("twin:1", loader).get();
        Tensor x = twin.upload(new float[] {1, 2, 3});
        assertArrayEquals(new float[] {1, 2, 3}, twin.download(x), "a backend that computes");
        var noDevice = assertThrows(IllegalArgumentException.class, () -> Backends.parse("twin:9", loader).get());
        assertEquals("--backend twin:9: twin has no device 9", noDevice.getMessage());
    }

    @Test
    void theDefaultIsTheFirstProviderWithAGpuElseCpu() throws Exception {
        assertEquals("twin default", Backends.parse("auto",
                registered(NoGpuProvider.class.getName(), TwinProvider.class.getName())).get().description());
        assertInstanceOf(CpuBackend.class, Backends.parse("auto", registered(NoGpuProvider.class.getName())).get(),
                "a provider whose runtime cannot start finds no GPU");
        assertInstanceOf(CpuBackend.class, Backends.parse("auto", registered()).get());
    }

    @Test
    void absentUnknownAndBrokenProvidersAreOneLine() throws Exception {
        ClassLoader none = registered();
        String tornado = oneLine(() -> Backends.parse("tornado:0", none));
        assertEquals("--backend tornado:0: the TornadoVM backend is not on this class path: build its SDK with "
                + "scripts/tornadovm.sh (or set TORNADOVM_HOME) and run through ./quanthub", tornado);
        String unknown = oneLine(() -> Backends.parse("gpu", registered(TwinProvider.class.getName())));
        assertEquals("--backend 'gpu' is not a backend: use auto, cpu, twin[:DEVICE], tornado[:DEVICE]", unknown);
        assertTrue(oneLine(() -> Backends.parse("cpu:0", none)).contains("cpu takes no device"));
        assertTrue(oneLine(() -> Backends.parse("twin:", none)).contains("no device after ':'"));

        // A provider that fails to load is absent, with the reason; the others still load.
        ClassLoader broken = registered(BrokenProvider.class.getName(), "io.quanthub.nowhere.MissingProvider",
                TwinProvider.class.getName());
        assertEquals("twin 2", Backends.parse("twin:2", broken).get().description());
        String reason = oneLine(() -> Backends.parse("broken", broken));
        assertTrue(reason.startsWith("--backend 'broken' is not a backend: use auto, cpu, twin[:DEVICE], tornado"),
                reason);
        assertTrue(reason.contains("libOpenCL.so.1: cannot open shared object file"), reason);
        assertTrue(reason.contains("io.quanthub.nowhere.MissingProvider not found"), reason);
        assertEquals("twin default", Backends.parse("auto", broken).get().description());
    }

    private static String oneLine(org.junit.jupiter.api.function.Executable parse) {
        String message = assertThrows(IllegalArgumentException.class, parse).getMessage();
        assertFalse(message.contains("\n"), message);
        return message;
    }

    /** A class loader over the test class path plus a folder that registers {@code providers}. */
    private ClassLoader registered(String... providers) throws Exception {
        Path root = Files.createTempDirectory(dir, "cp");
        Path services = Files.createDirectories(root.resolve("META-INF/services"));
        Files.writeString(services.resolve(BackendProvider.class.getName()), String.join("\n", providers) + "\n");
        // Parent-first: the providers' classes are the test's own; only the registration is this folder's.
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, getClass().getClassLoader());
    }
}
