package io.quanthub.cli;

import picocli.CommandLine.Option;

/** {@code --device-memory SIZE} for the commands that run an inference node (a picocli mixin). */
final class DeviceMemoryOption {
    @Option(names = "--device-memory", paramLabel = "SIZE",
            description = "Device memory the inference node reports to the cluster and loads models into, instead of "
                    + "what its backend reports, e.g. 8G (binary units: K, M, G, T): to share a GPU between processes. "
                    + "The node claims only previews whose model, text encoders and VAE fit (the hub's VRAM estimate), "
                    + "and keeps as many models loaded as fit, least recently used evicted first.")
    String deviceMemory;

    /** The bytes given, or null for the backend's. */
    Long bytes() {
        return deviceMemory == null ? null : ServeCommand.parseSize("--device-memory", deviceMemory);
    }
}
