package io.quanthub.inference.preview;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The models an inference node keeps loaded (a transformer with its VAE, a pair of text encoders), as many as its
 * device holds by {@link DeviceMemory}'s rule: before one is loaded that would not fit next to them, the least
 * recently used are closed, except those the current job uses. A model larger than the whole device is never loaded.
 * Their files stay pinned in the node's file cache while any loaded model uses them.
 *
 * <p>One job at a time uses it (the node's worker thread); the reports ({@link #loaded}) may come from any thread.
 */
final class LoadedModels implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LoadedModels.class.getName());

    /** Opens a model from its local files. */
    @FunctionalInterface
    interface Opener<T extends AutoCloseable> {
        T open() throws IOException;
    }

    private record Entry(List<String> files, long bytes, AutoCloseable model) {}

    private final LocalFiles files;
    private final long deviceBytes;
    private final Consumer<List<NodeStatus.Loaded>> onChange;
    /** Loaded models by their files, least recently used first. */
    private final LinkedHashMap<List<String>, Entry> loaded = new LinkedHashMap<>(16, 0.75f, true);
    /** The models the current job has used: never evicted for another model of the same job. */
    private final Set<List<String>> inUse = new HashSet<>();

    /**
     * @param deviceBytes the device memory models may take (with the headroom {@link DeviceMemory} keeps)
     * @param onChange    called with what is loaded after each load or eviction (to report it to the cluster)
     */
    LoadedModels(LocalFiles files, long deviceBytes, Consumer<List<NodeStatus.Loaded>> onChange) {
        this.files = files;
        this.deviceBytes = deviceBytes;
        this.onChange = onChange;
    }

    /** A new job begins: the models of the previous one may be evicted. */
    synchronized void beginJob() {
        inUse.clear();
    }

    /**
     * The model of these files (blob digests), loaded now by {@code opener} unless it is loaded already.
     *
     * @throws IllegalStateException with a one-line reason when it does not fit the device, even alone or next to the
     *                               models this job uses
     */
    @SuppressWarnings("unchecked")
    synchronized <T extends AutoCloseable> T get(List<String> digests, Opener<T> opener) throws IOException {
        List<String> key = List.copyOf(digests);
        Entry entry = loaded.get(key);
        if (entry != null) {
            inUse.add(key);
            return (T) entry.model();
        }
        long bytes = 0;
        for (String digest : key) bytes += Files.size(files.get(digest));
        if (!DeviceMemory.fits(bytes, deviceBytes)) {
            throw new IllegalStateException("the model needs " + DeviceMemory.format(DeviceMemory.forWeights(bytes))
                    + " of device memory; this node has " + DeviceMemory.format(deviceBytes));
        }
        boolean evicted = evictFor(bytes);
        if (!DeviceMemory.fits(usedBytes() + bytes, deviceBytes)) {
            if (evicted) onChange.accept(loaded());
            throw new IllegalStateException("the job's models need " + DeviceMemory.format(
                    DeviceMemory.forWeights(usedBytes() + bytes)) + " of device memory together; this node has "
                    + DeviceMemory.format(deviceBytes));
        }
        files.pin(key.toArray(String[]::new));
        T model;
        try {
            model = opener.open();
        } catch (IOException | RuntimeException e) {
            unpinUnused(key);
            if (evicted) onChange.accept(loaded());
            throw e;
        }
        loaded.put(key, new Entry(key, bytes, model));
        inUse.add(key);
        onChange.accept(loaded());
        return model;
    }

    /** Closes least recently used models not in use until {@code bytes} more fit; whether it closed any. */
    private boolean evictFor(long bytes) {
        boolean evicted = false;
        for (Iterator<Entry> it = loaded.values().iterator(); it.hasNext()
                && !DeviceMemory.fits(usedBytes() + bytes, deviceBytes); ) {
            Entry e = it.next();
            if (inUse.contains(e.files())) continue;
            it.remove();
            close(e);
            evicted = true;
        }
        return evicted;
    }

    private long usedBytes() {
        return loaded.values().stream().mapToLong(Entry::bytes).sum();
    }

    private void close(Entry e) {
        try {
            e.model().close();
        } catch (Exception ex) {
            LOG.log(System.Logger.Level.WARNING, "closing a loaded model failed: " + ex);
        }
        unpinUnused(e.files());
    }

    /** Unpins those of {@code digests} no loaded model uses. */
    private void unpinUnused(List<String> digests) {
        Set<String> stillUsed = new HashSet<>();
        loaded.keySet().forEach(stillUsed::addAll);
        files.unpin(digests.stream().filter(d -> !stillUsed.contains(d)).toArray(String[]::new));
    }

    /** What is loaded, least recently used first. */
    synchronized List<NodeStatus.Loaded> loaded() {
        List<NodeStatus.Loaded> all = new ArrayList<>();
        for (Entry e : loaded.values()) all.add(new NodeStatus.Loaded(e.files(), e.bytes()));
        return all;
    }

    /** Closes every loaded model. */
    @Override
    public synchronized void close() {
        List<Entry> all = new ArrayList<>(loaded.values());
        loaded.clear();
        inUse.clear();
        all.forEach(this::close);
    }
}
