package io.quanthub.hub;

import com.hazelcast.core.HazelcastInstance;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.preview.PreviewJobs;
import io.quanthub.inference.preview.PreviewNode;
import io.quanthub.storage.HubStorage;
import java.nio.file.Path;

/**
 * The preview side of a hub's cluster member: the preview jobs of the cluster and the inference node that
 * {@code quanthub serve} runs in its own process unless told not to ({@code --no-inference}; nodes join with
 * {@code quanthub inference-node --join}). The node caches model files under {@code <data>/model-cache}.
 */
final class PreviewService implements AutoCloseable {
    /** Model files an in-process node keeps on disk. */
    static final long CACHE_BYTES = 32L << 30;

    private final PreviewJobs jobs;
    /** Null when this member leaves rendering to other nodes. */
    private final PreviewNode node;

    private PreviewService(PreviewJobs jobs, PreviewNode node) {
        this.jobs = jobs;
        this.node = node;
    }

    /**
     * The preview jobs of member {@code hz}, with an inference node of its own if the cluster config {@code renders}
     * (on its backend, running the admin's default text encoders, {@code textEncoderDefaults}, as the hub's own node), scheduling by
     * the config's device memory, or by its backend's when that is null).
     */
    static PreviewService start(HazelcastInstance hz, HubStorage storage, Path dataDir, ClusterConfig cluster,
                                java.util.Map<String, java.util.Map<String, String>> textEncoderDefaults) {
        PreviewJobs jobs = new PreviewJobs(hz);
        try {
            return new PreviewService(jobs, cluster.renders() ? PreviewNode.start(jobs, storage,
                    dataDir.resolve("model-cache"), CACHE_BYTES, textEncoderDefaults, cluster.backends(), cluster.deviceMemory()) : null);
        } catch (RuntimeException e) {
            jobs.close();
            throw e;
        }
    }

    PreviewJobs jobs() {
        return jobs;
    }

    /** Stops the node (its unfinished jobs go back to the queue) before the member leaves. */
    @Override
    public void close() {
        try {
            if (node != null) node.close();
        } finally {
            jobs.close();
        }
    }
}
