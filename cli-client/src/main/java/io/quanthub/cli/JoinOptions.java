package io.quanthub.cli;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.quanthub.cluster.ClusterMember;
import io.quanthub.cluster.Discovery;
import io.quanthub.cluster.SharedStorage;
import io.quanthub.storage.S3Settings;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;

/**
 * The options of a process that joins a running hub's cluster as one more member ({@code converter},
 * {@code inference-node}; a picocli mixin): whom to join, where this member listens, and which bucket it works on.
 */
public final class JoinOptions {
    /** How long to wait for a hub to publish the bucket when none is given. */
    private static final Duration STORAGE_PATIENCE = Duration.ofSeconds(60);

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
        memberPort = port == 0 ? freePort(host) : port;
        return Hazelcast.newHazelcastInstance(
                ClusterMember.config(ClusterMember.DEFAULT_CLUSTER, host, memberPort, discovery));
    }

    /** {@code host:port} of the member {@link #startMember()} started. */
    String address() {
        return host + ":" + memberPort;
    }

    /** The bucket of the options or {@code QUANTHUB_S3_*} variables, else the one the hub published to the cluster. */
    S3Settings bucket(HazelcastInstance member) throws InterruptedException {
        return given != null ? given : SharedStorage.await(member, STORAGE_PATIENCE);
    }

    /** The start-up line's common part: how many members the cluster has now and which bucket this one uses. */
    static String joined(HazelcastInstance member, S3Settings bucket) {
        return "joined a cluster of " + member.getCluster().getMembers().size() + " members; storage "
                + bucket.endpoint() + " bucket " + bucket.bucket();
    }

    /** A port nobody listens on now (Hazelcast needs the number up front: other members are told it). */
    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + host + ": " + e.getMessage(), e);
        }
    }
}
