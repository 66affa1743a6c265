package io.quanthub.inference.preview;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.map.IMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The inference nodes of the cluster and what each runs on: map {@code quanthub.inference-nodes}, member UUID to the
 * {@link NodeStatus} its node last reported. A node puts its record when it starts and whenever it loads or evicts a
 * model, and removes it when it stops; when a member leaves or dies, every other member removes its record
 * ({@link PreviewJobs}' membership listener). Readers also ask only for the records of members in the cluster now,
 * by key, so a record left behind by a member nobody saw leave is never read as a live node.
 *
 * <p>The records come from anyone who reaches the cluster port: a record that does not deserialize into a valid
 * {@link NodeStatus} under its own member's key is skipped.
 */
public final class InferenceNodes {
    private static final System.Logger LOG = System.getLogger(InferenceNodes.class.getName());
    static final String NODES = "quanthub.inference-nodes";

    private final HazelcastInstance hz;
    private final IMap<UUID, Object> nodes;

    InferenceNodes(HazelcastInstance hz) {
        this.hz = hz;
        this.nodes = hz.getMap(NODES);
    }

    /** Records what the node of {@code status.member()} runs on and holds now. */
    void report(NodeStatus status) {
        nodes.set(status.member(), status);
    }

    /** Removes the record of {@code member} (its node stopped, or it left the cluster). */
    void forget(UUID member) {
        try {
            nodes.delete(member);
        } catch (HazelcastInstanceNotActiveException e) {
            // This member is stopping too.
        }
    }

    /** The live nodes' records, largest device first. */
    public List<NodeStatus> live() {
        List<NodeStatus> live = new ArrayList<>();
        for (Member member : hz.getCluster().getMembers()) {
            try {
                if (nodes.get(member.getUuid()) instanceof NodeStatus status
                        && status.member().equals(member.getUuid())) {
                    live.add(status);
                }
            } catch (RuntimeException e) {
                // A record someone wrote through the cluster port that is no valid NodeStatus: not a node.
                LOG.log(System.Logger.Level.DEBUG, "skipped the inference node record of " + member + ": " + e);
            }
        }
        live.sort(Comparator.comparingLong(NodeStatus::deviceMemoryBytes).reversed());
        return live;
    }

    /** The largest device memory of a live node; empty when no node is in the cluster. */
    public OptionalLong largestDevice() {
        return live().stream().mapToLong(NodeStatus::deviceMemoryBytes).max();
    }

    /**
     * Why no live node can render a job needing {@code bytes} of device memory, e.g. "needs 12.3 GiB; the largest
     * inference node has 8.0 GiB"; null when one can (or no node runs at all: the job waits for any node, as always).
     */
    public String waitingReason(long bytes) {
        OptionalLong largest = largestDevice();
        return largest.isEmpty() ? null : waitingReason(bytes, largest.getAsLong());
    }

    /** {@link #waitingReason(long)} when the largest live node has {@code largestDevice} bytes. */
    public static String waitingReason(long bytes, long largestDevice) {
        if (bytes <= largestDevice) return null;
        return "needs " + DeviceMemory.format(bytes) + "; the largest inference node has "
                + DeviceMemory.format(largestDevice);
    }
}
