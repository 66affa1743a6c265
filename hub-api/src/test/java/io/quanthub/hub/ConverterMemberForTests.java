package io.quanthub.hub;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.quanthub.cluster.ClusterMember;
import io.quanthub.cluster.JobService;
import io.quanthub.cluster.Task;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.S3Settings;
import io.quanthub.storage.S3SettingsFile;
import io.quanthub.storage.StorageOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A converter member as {@code quanthub converter --join} runs one: a Hazelcast member on loopback that joins a
 * hub's member and converts in the bucket it is given (its own configuration: the cluster carries no secrets). A test can hold every PART task at a gate, so a
 * job stays running (planned, nothing uploaded) until the test has seen what it wants to see.
 */
public final class ConverterMemberForTests implements AutoCloseable {
    private final HazelcastInstance member;
    private final HubStorage storage;
    private final JobService service;
    private volatile CountDownLatch gate = new CountDownLatch(0);

    /** Joins the member of {@code hub}, on the bucket of its embedded S3 server ({@code <data>/s3.properties}). */
    public ConverterMemberForTests(HubServer hub) {
        this(hub.clusterAddress().orElseThrow(), S3Settings.fromEnvironment(S3SettingsFile.read(
                hub.s3SettingsFile().orElseThrow())).orElseThrow());
    }

    /** Joins the member at {@code hubMember} ({@code host:port}) with 5 MiB parts and one worker. */
    public ConverterMemberForTests(String hubMember, S3Settings bucket) {
        int port = freePort();
        member = Hazelcast.newHazelcastInstance(ClusterMember.config(ClusterMember.DEFAULT_CLUSTER, "127.0.0.1", port,
                List.of(hubMember, "127.0.0.1:" + port)));
        storage = HubStorage.open(bucket, StorageOptions.defaults().withPartSize(StorageOptions.MIN_PART_SIZE));
        service = new JobService(member, storage, options(), task -> {
            if (task.kind() == Task.Kind.PART) gate.await();
        }).start();
    }

    /** The job service settings the tests' hub members use too: 5 MiB parts, one worker. */
    public static JobService.Options options() {
        return JobService.Options.defaults(JobService.CONVERTER_VERSION).withPartSize(StorageOptions.MIN_PART_SIZE)
                .withWorkers(1);
    }

    /** From now on, PART tasks wait until {@link #open()}. */
    public void hold() {
        gate = new CountDownLatch(1);
    }

    /** Lets the held PART tasks (and all later ones) run. */
    public void open() {
        gate.countDown();
    }

    public HazelcastInstance member() {
        return member;
    }

    @Override
    public void close() {
        open();
        service.close();
        member.shutdown();
        storage.close();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
