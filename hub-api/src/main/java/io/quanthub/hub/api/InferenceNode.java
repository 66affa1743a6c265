package io.quanthub.hub.api;

import java.util.List;

/**
 * One inference node of the cluster as {@code GET /api/admin/nodes} lists it: what it runs on and what it keeps
 * loaded.
 *
 * @param member            its cluster member's UUID
 * @param address           that member's {@code host:port}
 * @param backend           the compute backend's name ({@code cpu}, {@code tornado})
 * @param device            the backend's description of its device
 * @param deviceMemoryBytes the device memory it schedules by (its backend's, or its {@code --device-memory}); it
 *                          claims only previews whose models fit
 * @param loaded            the models it keeps loaded, least recently used first
 */
public record InferenceNode(String member, String address, String backend, String device, long deviceMemoryBytes,
                            List<Loaded> loaded) {
    /**
     * A loaded model.
     *
     * @param files its files' blobs: a transformer and its VAE, or a CLIP and a T5 text encoder
     * @param bytes the bytes of their weights
     */
    public record Loaded(List<String> files, long bytes) {}
}
