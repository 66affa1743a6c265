package io.quanthub.inference.preview;

import java.util.Locale;

/**
 * How much device memory weights need, by the rule of thumb users are given (docs/user-facts, "Sizes people
 * expect"): weights of Y bytes run reliably at standard resolutions on a device with X bytes when {@code Y < 0.7 X};
 * the rest is activations and the VAE decode peak. The hub's VRAM estimates, the memory a preview job needs and what
 * an inference node keeps loaded all follow this one rule, so a job the hub says fits a device is one a node with that
 * device claims and loads.
 */
public final class DeviceMemory {
    /** Users are told to keep the weights under 70% of the device's memory. */
    public static final double USABLE_FRACTION = 0.7;

    private DeviceMemory() {}

    /** Device memory for weights of this many bytes. */
    public static long forWeights(long bytes) {
        return (long) Math.ceil(bytes / USABLE_FRACTION);
    }

    /** Whether weights of {@code bytes} fit a device of {@code deviceBytes}. */
    public static boolean fits(long bytes, long deviceBytes) {
        return forWeights(bytes) <= deviceBytes;
    }

    /** Bytes in binary units with one decimal, as the hub's messages write them: 512 B, 12.3 MiB, 8.0 GiB. */
    public static String format(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
