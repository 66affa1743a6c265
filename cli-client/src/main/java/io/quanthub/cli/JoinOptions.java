package io.quanthub.cli;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.quanthub.cluster.ClusterMember;
import io.quanthub.cluster.Discovery;
import io.quanthub.cluster.OpsServer;
import io.quanthub.storage.HubStorage;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quanthub.storage.S3Settings;
import io.quanthub.storage.S3SettingsFile;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;


/**
 * The options of a process that joins a running hub's cluster as one more member ({@code converter},
 * {@code inference-node}; a picocli mixin): whom to join, where this member listens, and which bucket it works on.
 * The bucket comes from this process's own configuration only: the cluster carries no secrets.
 */
public final class JoinOptions {
    /**
     * The trust model, for the commands' {@code --help}: Hazelcast Community Edition authenticates no member, so
     * whoever reaches the cluster port is a member.
     */
    static final String CLUSTER_PORT_TRUST = "The cluster port has no authentication: anyone who reaches it can "
            + "join, read job and preview records and disturb jobs (but finds no credentials or tokens there). It "
            + "listens on loopback by default; give it another address only on a private network.";

    /** What {@link #bucket()} says when a member has no bucket: the cluster does not hand one out. */
    static final String NO_BUCKET = "no S3 settings: give --s3-config FILE ('quanthub serve' writes <data>/"
            + S3SettingsFile.FILE_NAME + " for its embedded S3), --s3-endpoint with the keys, or QUANTHUB_S3_* "
            + "variables; members never get credentials from the cluster";

    @Option(names = "--join", required = true, paramLabel = "HOST:PORT",
            description = "Members to join: host:port[,host:port...] (the hub prints 'cluster member at ...'), or "
                    + "dns:SERVICE[:PORT] for a Kubernetes headless Service.")
    String join;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
            description = "Address this member binds and the others reach it at (default: ${DEFAULT-VALUE}, this "
                    + "machine only).")
    String host;

    @Option(names = "--port", defaultValue = "0", paramLabel = "P",
            description = "Cluster port of this member (default: ${DEFAULT-VALUE}, a free one).")
    int port;

    @Option(names = "--metrics-port", defaultValue = "0", paramLabel = "P",
            description = "Port of this process's /metrics (Prometheus), /health and /ready, on --host (default: "
                    + "${DEFAULT-VALUE}, a free one, printed at start).")
    int metricsPort;

    @Mixin
    S3Options s3;

    private S3Settings given;
    private int memberPort;

    /**
     * Checks the options (a bad one fails here, before anything starts), then starts this member and joins the
     * cluster.
     */
    HazelcastInstance startMember() {
        Discovery discovery = Discovery.parse(join);
        given = s3.settings(System.getenv());
        if (given == null) throw new IllegalArgumentException(NO_BUCKET);
        try {
            memberPort = ClusterMember.listenPort(host, port);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("cannot start the cluster member: " + e.getMessage()
                    + " (choose another --port, or 0 for a free one)", e);
        }
        return Hazelcast.newHazelcastInstance(
                ClusterMember.config(ClusterMember.DEFAULT_CLUSTER, host, memberPort, discovery));
    }

    /**
     * Serves this process's operations endpoints on {@code --host:--metrics-port}; ready while the member is in the
     * cluster and the bucket answers.
     */
    OpsServer startOps(PrometheusMeterRegistry registry, HazelcastInstance member, HubStorage storage) {
        return OpsServer.start(host, metricsPort, registry, () -> {
            if (!member.getLifecycleService().isRunning()) return "not a cluster member";
            storage.ping();
            return null;
        });
    }

    /** The start-up line that says where the operations endpoints are. */
    String opsLine(OpsServer ops) {
        String shown = host.contains(":") ? "[" + host + "]" : host;
        return "metrics on http://" + shown + ":" + ops.port() + "/metrics (health: /health, readiness: /ready)";
    }

    /** {@code host:port} of the member {@link #startMember()} started. */
    String address() {
        return host + ":" + memberPort;
    }

    /** The bucket of the options, the {@code --s3-config} file or the {@code QUANTHUB_S3_*} variables. */
    S3Settings bucket() {
        return given;
    }

    /** The start-up line's common part: how many members the cluster has now and which bucket this one uses. */
    static String joined(HazelcastInstance member, S3Settings bucket) {
        return "joined a cluster of " + member.getCluster().getMembers().size() + " members; storage "
                + bucket.endpoint() + " bucket " + bucket.bucket();
    }
}
