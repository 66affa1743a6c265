package io.quanthub.cli;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.quanthub.cluster.ClusterMember;
import io.quanthub.cluster.Discovery;
import io.quanthub.cluster.JobService;
import io.quanthub.cluster.SharedStorage;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.S3Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code quanthub converter --join HOST:PORT}: one more member of the converter cluster, on this machine or
 * another. It joins the members at {@code --join}, takes the bucket from its options or {@code QUANTHUB_S3_*}
 * variables, else from what the hub published to the cluster, and runs conversion tasks until it is stopped
 * (Ctrl-C or SIGTERM: it hands its claimed tasks back to the cluster and leaves gracefully).
 */
@Command(name = "converter", mixinStandardHelpOptions = true,
        description = {"Run a converter-cluster member that joins a running hub's cluster and converts models.",
                "Storage: --s3-* options or QUANTHUB_S3_* variables, else the bucket the hub publishes to the "
                        + "cluster."})
public final class ConverterCommand implements Callable<Integer> {
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

    @Option(names = "--data", defaultValue = "./converter-data", paramLabel = "DIR",
            description = "This member's local working folder (default: ${DEFAULT-VALUE}); created if missing.")
    Path data;

    @Option(names = "--workers", paramLabel = "N",
            description = "Task threads (default: one per core, at most 4).")
    Integer workers;

    @Option(names = "--memory-budget", paramLabel = "SIZE",
            description = "Heap its running tasks may use at once, e.g. 2G (default: half the heap).")
    String memoryBudget;

    @Option(names = "--converter-version", hidden = true, paramLabel = "V",
            description = "Converter version to serve (benchmarks and tests run several in one bucket).")
    String converterVersion = JobService.CONVERTER_VERSION;

    @Mixin
    S3Options s3;

    @Spec
    CommandSpec spec;

    private final CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        Discovery discovery = Discovery.parse(join);
        Files.createDirectories(data);
        JobService.Options options = JobService.Options.defaults(converterVersion);
        if (workers != null) options = options.withWorkers(workers);
        if (memoryBudget != null) {
            options = options.withMemoryBudget(ServeCommand.parseSize("--memory-budget", memoryBudget));
        }
        S3Settings given = s3.settings(System.getenv());

        int memberPort = port == 0 ? freePort(host) : port;
        Config config = ClusterMember.config(ClusterMember.DEFAULT_CLUSTER, host, memberPort, discovery);
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
        HubStorage storage = null;
        JobService jobs = null;
        Thread stopper = new Thread(stop::countDown, "quanthub-converter-shutdown");
        try {
            S3Settings bucket = given != null ? given : SharedStorage.await(hz, STORAGE_PATIENCE);
            storage = HubStorage.open(bucket);
            jobs = new JobService(hz, storage, options, JobService.TaskObserver.NONE).start();
            PrintWriter out = spec.commandLine().getOut();
            out.println("converter member at " + host + ":" + memberPort + " joined a cluster of "
                    + hz.getCluster().getMembers().size() + " members; storage " + bucket.endpoint() + " bucket "
                    + bucket.bucket() + "; " + options.workers() + " workers, memory budget "
                    + (options.memoryBudget() >> 20) + " MiB, working folder " + data.toAbsolutePath());
            out.flush();
            Runtime.getRuntime().addShutdownHook(stopper);
            stop.await();
            return 0;
        } finally {
            if (jobs != null) jobs.close(); // hands claimed tasks back while the member is still in the cluster
            hz.shutdown();
            if (storage != null) storage.close();
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException shuttingDown) {
                // Stopped by the hook itself.
            }
        }
    }

    /** Stops the member as Ctrl-C does (for tests running the command in-process). */
    void stop() {
        stop.countDown();
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
