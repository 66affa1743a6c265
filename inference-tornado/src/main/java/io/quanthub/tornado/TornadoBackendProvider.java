package io.quanthub.tornado;

import io.quanthub.inference.compute.BackendProvider;
import io.quanthub.inference.compute.ComputeBackend;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * {@code --backend tornado[:DEVICE]}: a {@link io.quanthub.tornado.TornadoBackend} on one of TornadoVM's devices.
 * DEVICE is {@code N}, device N of the default driver, or {@code D:N}, device N of driver D (the numbering of
 * {@code tornado --devices}); without it, TornadoVM's default device.
 */
public final class TornadoBackendProvider implements BackendProvider {
    static {
        TornadoSettings.apply();
    }

    @Override
    public String name() {
        return "tornado";
    }

    /** False where TornadoVM's runtime does not load (no SDK on the JVM's module path) or lists no GPU. */
    @Override
    public boolean hasGpu() {
        try {
            TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
            for (int d = 0; d < runtime.getNumBackends(); d++) {
                TornadoBackend driver = runtime.getBackend(d);
                for (int i = 0; i < driver.getNumDevices(); i++) {
                    if (driver.getDevice(i).getDeviceType() == TornadoDeviceType.GPU) return true;
                }
            }
            return false;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @Override
    public ComputeBackend open(String device) {
        TornadoRuntime runtime;
        try {
            runtime = TornadoRuntimeProvider.getTornadoRuntime();
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalArgumentException("TornadoVM's runtime does not start (is the JVM run with its "
                    + "arguments?): " + e);
        }
        if (device == null || device.isBlank()) {
            return new io.quanthub.tornado.TornadoBackend(runtime.getDefaultDevice(), true);
        }
        String[] parts = device.strip().split(":");
        try {
            int driver = parts.length == 2 ? Integer.parseInt(parts[0]) : 0;
            int index = Integer.parseInt(parts[parts.length - 1]);
            if (parts.length > 2 || driver < 0 || driver >= runtime.getNumBackends()) {
                throw new IllegalArgumentException("no TornadoVM driver for device '" + device + "' ("
                        + runtime.getNumBackends() + " drivers)");
            }
            TornadoBackend backend = runtime.getBackend(driver);
            if (index < 0 || index >= backend.getNumDevices()) {
                throw new IllegalArgumentException("no TornadoVM device '" + device + "': driver " + driver + " has "
                        + backend.getNumDevices() + " devices");
            }
            TornadoDevice chosen = backend.getDevice(index);
            return new io.quanthub.tornado.TornadoBackend(chosen, chosen == runtime.getDefaultDevice());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("TornadoVM device '" + device + "' is not N or DRIVER:N");
        }
    }
}
