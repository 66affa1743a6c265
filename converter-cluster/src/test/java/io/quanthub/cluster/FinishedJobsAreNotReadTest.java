package io.quanthub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.StorageOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A busy cluster keeps thousands of finished jobs for {@link JobService.Options#keepFinished()}: the rounds every
 * member runs every few seconds, and the metrics, must not read them. Two real members whose job records go through a
 * serializer that counts every job record it reads back, on either member.
 */
class FinishedJobsAreNotReadTest {
    private static final String VERSION = "test-1";
    private static final int FINISHED = 2_000;
    private static final int LIVE = 3;
    /** Job records read back by any member of the cluster in this JVM. */
    static final AtomicLong JOBS_READ = new AtomicLong();

    @TempDir
    Path dir;
    private EmbeddedS3 s3;
    private HubStorage storage;
    private final List<HazelcastInstance> members = new ArrayList<>();
    private JobService service;

    @BeforeEach
    void start() throws IOException {
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        storage = HubStorage.open(s3.settings("finished"), StorageOptions.defaults());
        String name = "test-" + UUID.randomUUID();
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < 2; i++) addresses.add("127.0.0.1:" + freePort());
        for (String address : addresses) {
            Config config = ClusterMember.config(name, "127.0.0.1", Integer.parseInt(address.split(":")[1]),
                    addresses);
            config.getSerializationConfig().addSerializerConfig(new SerializerConfig().setTypeClass(Job.class)
                    .setImplementation(new CountingJobSerializer()));
            members.add(Hazelcast.newHazelcastInstance(config));
        }
        service = new JobService(members.getFirst(), storage, JobService.Options.defaults(VERSION)
                .withLease(Duration.ofSeconds(2)), JobService.TaskObserver.NONE);
    }

    @AfterEach
    void stop() {
        service.close();
        members.forEach(m -> m.getLifecycleService().terminate());
        storage.close();
        s3.close();
    }

    @Test
    void sweepsStaleUploadChecksAndCountsReadOnlyTheLiveJobs() throws InterruptedException {
        IMap<JobId, Job> jobs = members.getFirst().getMap(JobService.JOBS);
        long now = members.getFirst().getCluster().getClusterTime();
        Map<JobId, Job> records = new HashMap<>();
        for (int i = 0; i < FINISHED; i++) {
            records.put(id(i), Job.queued("run-" + i, Priority.USER, "member", now).done("sha256:" + hex(i), now));
        }
        for (int i = FINISHED; i < FINISHED + LIVE; i++) {
            records.put(id(i), Job.queued("run-" + i, Priority.USER, "member", now));
        }
        JobId expired = id(FINISHED + LIVE);
        long longAgo = now - Duration.ofHours(2).toMillis();
        records.put(expired, Job.queued("old", Priority.USER, "member", longAgo).failed("broken", longAgo));
        jobs.putAll(records);
        // While a partition migrates (members just joined), Hazelcast answers queries by scanning, not from indexes.
        while (!members.stream().allMatch(m -> m.getPartitionService().isClusterSafe())) Thread.sleep(20);
        JOBS_READ.set(0);

        service.sweep();
        service.cleanStaleUploads();
        Map<JobView.State, Long> counts = service.counts();

        // Each round reads the live jobs at most (the background rounds of this member may add a few more).
        long read = JOBS_READ.get();
        assertTrue(read <= 10 * LIVE, read + " job records read for " + LIVE + " live jobs among " + FINISHED
                + " finished ones");
        assertEquals(FINISHED, counts.get(JobView.State.DONE));
        assertEquals(LIVE, counts.get(JobView.State.QUEUED));
        assertEquals(0, counts.get(JobView.State.FAILED), "the expired failed job was swept");
        assertFalse(jobs.containsKey(expired), "finished jobs older than keepFinished are removed");
        assertEquals(FINISHED + LIVE, jobs.size(), "recently finished jobs stay listed");
    }

    private static JobId id(int i) {
        return new JobId(hex(i), "Q4_0", VERSION);
    }

    private static String hex(int i) {
        return String.format("%064x", i);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Java serialization of job records, counting each record read back. */
    static final class CountingJobSerializer implements StreamSerializer<Job> {
        @Override
        public void write(ObjectDataOutput out, Job job) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream objects = new ObjectOutputStream(bytes)) {
                objects.writeObject(job);
            }
            out.writeByteArray(bytes.toByteArray());
        }

        @Override
        public Job read(ObjectDataInput in) throws IOException {
            JOBS_READ.incrementAndGet();
            try (ObjectInputStream objects = new ObjectInputStream(new ByteArrayInputStream(in.readByteArray()))) {
                return (Job) objects.readObject();
            } catch (ClassNotFoundException e) {
                throw new IOException(e);
            }
        }

        @Override
        public int getTypeId() {
            return 7001;
        }
    }
}
