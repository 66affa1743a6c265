package io.quanthub.inference.preview;

import io.quanthub.storage.Digest;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What an inference node runs on and holds, as it reports it to the cluster ({@link InferenceNodes}). Anyone who
 * reaches the cluster port can write such a record, so the constructor checks every field (it also runs when a record
 * is deserialized): a record that fails is skipped by its readers. It holds nothing secret: the backend, the device's
 * size and the digests of loaded files, which the job records name already.
 *
 * @param member            the node's cluster member
 * @param address           that member's {@code host:port}
 * @param backend           the backend's name ({@code cpu}, {@code tornado})
 * @param device            the backend's one-line description (its device)
 * @param deviceMemoryBytes the memory the node schedules by: its backend's, or {@code --device-memory}
 * @param loaded            the models and text encoders it keeps loaded, least recently used first
 */
public record NodeStatus(UUID member, String address, String backend, String device, long deviceMemoryBytes,
                         List<Loaded> loaded) implements Serializable {
    static final int MAX_TEXT = 300;
    static final int MAX_LOADED = 256;

    /**
     * One loaded model: its files (blob digests: the transformer and VAE, or the CLIP and T5 text encoders) and the
     * bytes of weights they hold on the device.
     */
    public record Loaded(List<String> files, long bytes) implements Serializable {
        public Loaded {
            files = List.copyOf(files);
            if (files.isEmpty() || files.size() > 8) throw new IllegalArgumentException("1..8 files per loaded model");
            files.forEach(Digest::parse);
            if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        }
    }

    public NodeStatus {
        Objects.requireNonNull(member, "member");
        address = text("address", address);
        backend = text("backend", backend);
        device = text("device", device);
        if (deviceMemoryBytes <= 0) throw new IllegalArgumentException("device memory must be positive");
        loaded = List.copyOf(loaded);
        if (loaded.size() > MAX_LOADED) {
            throw new IllegalArgumentException("more than " + MAX_LOADED + " loaded models");
        }
    }

    /** The same node holding {@code now}. */
    NodeStatus withLoaded(List<Loaded> now) {
        return new NodeStatus(member, address, backend, device, deviceMemoryBytes, now);
    }

    /** A short printable line: at most {@link #MAX_TEXT} characters, no control characters. */
    private static String text(String what, String value) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty() || value.length() > MAX_TEXT || value.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(what + " must be 1.." + MAX_TEXT + " printable characters");
        }
        return value;
    }
}
