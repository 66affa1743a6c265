package io.quanthub.hub;

import io.quanthub.hub.api.ApiJson;
import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.quanthub.cluster.ClusterMember;
import io.quanthub.cluster.Discovery;
import io.quanthub.cluster.JobService;
import io.quanthub.storage.HubStorage;
import java.util.ArrayList;
import java.util.List;

/**
 * The converter-cluster member a hub runs in its process: an embedded Hazelcast member (TCP-IP join only, no
 * multicast, no cloud auto-detection, no phone-home: {@link ClusterMember}) and a {@link JobService} on the hub's
 * own storage, so conversions requested through the hub run here and on every member that joins.
 */
final class ConverterMember implements AutoCloseable {
    /** Every QuantHub member uses this cluster name; members of other clusters on the same port are refused. */
    static final String CLUSTER_NAME = ClusterMember.DEFAULT_CLUSTER;

    private final HazelcastInstance hz;
    private final JobService jobs;
    private final String address;

    private ConverterMember(HazelcastInstance hz, JobService jobs, String address) {
        this.hz = hz;
        this.jobs = jobs;
        this.address = address;
    }

    /**
     * Starts the member and its workers (unless it only accepts requests). Nothing secret goes into cluster state:
     * members that join get the bucket from their own configuration, because anyone who reaches the cluster port
     * can read every map (Hazelcast Community Edition has no member authentication).
     *
     * @throws IllegalStateException with a one-line message when the port is taken or the member cannot start
     */
    static ConverterMember start(ClusterConfig config, HubStorage storage) {
        int port;
        try {
            port = ClusterMember.listenPort(config.host(), config.port());
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot start the converter-cluster member on " + config.host() + ":"
                    + config.port() + ": " + e.getMessage() + " (choose another --cluster-port, or 0 for a free one)", e);
        }
        String address = config.host() + ":" + port;
        // Alone, the member lists itself; with a member list it joins those (itself included, harmlessly).
        Discovery join = switch (config.join()) {
            case null -> new Discovery.MemberList(List.of(address));
            case Discovery.MemberList list -> {
                List<String> members = new ArrayList<>(list.members());
                if (!members.contains(address)) members.add(address);
                yield new Discovery.MemberList(members);
            }
            case Discovery.KubernetesDns dns -> dns;
        };
        Config hzConfig = ClusterMember.config(CLUSTER_NAME, config.host(), port, List.of(address));
        join.applyTo(hzConfig.getNetworkConfig().getJoin());
        HazelcastInstance hz;
        try {
            hz = Hazelcast.newHazelcastInstance(hzConfig);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot start the converter-cluster member on " + address + ": "
                    + ApiJson.oneLine(e.getMessage()) + " (choose another --cluster-port, or 0 for a free one)", e);
        }
        try {
            JobService jobs = new JobService(hz, storage, config.options(), JobService.TaskObserver.NONE);
            if (config.converts()) jobs.start();
            return new ConverterMember(hz, jobs, address);
        } catch (RuntimeException e) {
            hz.getLifecycleService().terminate();
            throw e;
        }
    }

    JobService jobs() {
        return jobs;
    }

    /** {@code host:port} other members join. */
    String address() {
        return address;
    }

    HazelcastInstance hazelcast() {
        return hz;
    }

    /**
     * Stops the workers, then leaves the cluster gracefully: Hazelcast hands this member's share of the job
     * records to the others first, and they take over the tasks it had claimed.
     */
    @Override
    public void close() {
        try {
            jobs.close();
        } finally {
            hz.shutdown();
        }
    }
}
