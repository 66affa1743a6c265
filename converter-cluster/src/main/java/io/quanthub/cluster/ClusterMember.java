package io.quanthub.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;

/**
 * Embedded Hazelcast members for the converter cluster (Community Edition: no CP subsystem, so coordination uses
 * IMap entry processors).
 *
 * <p>Members find each other only through the explicit TCP-IP member list: multicast and cloud auto-detection are
 * off (auto-detection would probe cloud metadata endpoints), and so is Hazelcast's phone-home call. Every member
 * keeps one synchronous backup of each map entry (Hazelcast's default), so the job and task records survive the
 * loss of any one member. Java deserialization is limited to QuantHub's classes and the JDK's, since members
 * authenticate nobody.
 */
public final class ClusterMember {
    /** The cluster name every QuantHub member uses (hub and converters); members of other clusters are refused. */
    public static final String DEFAULT_CLUSTER = "quanthub";
    /** Hazelcast's usual port. */
    public static final int DEFAULT_PORT = Discovery.DEFAULT_PORT;

    private ClusterMember() {
    }

    /**
     * The configuration of a member of cluster {@code clusterName} listening on {@code host:port} (the port exactly,
     * no auto-increment), joining the members at {@code joinAddresses} ({@code host:port} each).
     */
    public static Config config(String clusterName, String host, int port, List<String> joinAddresses) {
        if (clusterName == null || clusterName.isBlank()) throw new IllegalArgumentException("empty cluster name");
        if (joinAddresses.isEmpty()) throw new IllegalArgumentException("no join addresses for " + clusterName);
        Config config = new Config();
        config.setClusterName(clusterName);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.wait.seconds.before.join", "1");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.shutdownhook.enabled", "false"); // the application decides how to stop
        // Members deserialize what anyone on the cluster port sends (entry processors, map values): only QuantHub's
        // own classes and Hazelcast's defaults (com.hazelcast., java*, arrays; its blacklist of known gadget
        // classes), so a Java-deserialization gadget in some library on the classpath cannot run code here.
        JavaSerializationFilterConfig filter = new JavaSerializationFilterConfig();
        filter.getWhitelist().addPrefixes("io.quanthub.");
        config.getSerializationConfig().setJavaSerializationFilterConfig(filter);
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(port).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface(host);
        network.setPublicAddress(host + ":" + port);
        config.setProperty("hazelcast.socket.bind.any", "false");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(List.copyOf(joinAddresses));
        return config;
    }

    /**
     * The configuration of a member listening on {@code host:port} that finds the others through {@code discovery}
     * (a member list or a Kubernetes headless Service).
     */
    public static Config config(String clusterName, String host, int port, Discovery discovery) {
        Config config = config(clusterName, host, port, List.of(host + ":" + port));
        discovery.applyTo(config.getNetworkConfig().getJoin());
        return config;
    }

    /** Starts a member on loopback {@code 127.0.0.1:port}. */
    public static HazelcastInstance start(String clusterName, List<String> joinAddresses, int port) {
        return Hazelcast.newHazelcastInstance(config(clusterName, "127.0.0.1", port, joinAddresses));
    }

    /**
     * The port a member on {@code host} listens on: {@code port} itself, checked to be free first (Hazelcast reports a
     * taken port with a long stack trace in its log), or a free one for 0.
     *
     * @throws IllegalStateException with a one-line message when {@code port} is taken (callers name their option)
     */
    public static int listenPort(String host, int port) {
        if (port == 0) return freePort(host, 0);
        if (!isFree(host, port)) {
            throw new IllegalStateException("port " + port + " on " + host + " is taken (by another QuantHub "
                    + "member?)");
        }
        return port;
    }

    /**
     * The first free port on {@code host} from {@code from} on (the next hub on a machine gets 5702 when one already
     * uses 5701), or a free one anywhere when the next hundred are taken.
     */
    public static int firstFreePort(String host, int from) {
        for (int port = from; port < Math.min(from + 100, 65536); port++) {
            try {
                return freePort(host, port);
            } catch (UncheckedIOException e) {
                // Not a taken port (an address this machine does not have): Hazelcast reports it on the port asked for.
                if (!(e.getCause() instanceof java.net.BindException bind) || bind.getMessage() == null
                        || !bind.getMessage().contains("in use")) {
                    return from;
                }
            }
        }
        return freePort(host, 0);
    }

    private static boolean isFree(String host, int port) {
        try {
            freePort(host, port);
            return true;
        } catch (UncheckedIOException taken) {
            return false;
        }
    }

    /** Binds {@code port} (0: any) on {@code host} and lets it go (Hazelcast needs the number up front). */
    private static int freePort(String host, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }
}
