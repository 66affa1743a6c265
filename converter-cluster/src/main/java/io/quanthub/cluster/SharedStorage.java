package io.quanthub.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.quanthub.storage.S3Settings;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * The bucket the cluster converts into, published by the serving member so that a converter member started with
 * only {@code --join} finds it. The settings include the S3 credentials: everyone who can join the cluster can
 * read them, so the cluster port must be reachable only from trusted machines (as it already must be: members
 * run each other's tasks).
 */
public final class SharedStorage {
    static final String MAP = "quanthub.settings";
    private static final String KEY = "s3";

    /** {@link S3Settings} in a form Hazelcast serializes (URI and the record are not Serializable). */
    record Published(String endpoint, String region, String bucket, String accessKey, String secretKey)
            implements java.io.Serializable {
        @Override
        public String toString() {
            return "Published[endpoint=" + endpoint + ", bucket=" + bucket + ", secretKey=***]";
        }
    }

    private SharedStorage() {
    }

    /** Publishes the bucket for members of this cluster (replacing what was published before). */
    public static void publish(HazelcastInstance hz, S3Settings s3) {
        map(hz).put(KEY, new Published(s3.endpoint().toString(), s3.region(), s3.bucket(), s3.accessKey(),
                s3.secretKey()));
    }

    /** The published bucket, if a member has published one. */
    public static Optional<S3Settings> lookup(HazelcastInstance hz) {
        return Optional.ofNullable(map(hz).get(KEY)).map(p ->
                new S3Settings(URI.create(p.endpoint()), p.region(), p.bucket(), p.accessKey(), p.secretKey()));
    }

    /**
     * Waits up to {@code patience} for a member to publish the bucket (a converter may join before the hub has
     * started its storage).
     *
     * @throws IllegalStateException when nothing was published in time
     */
    public static S3Settings await(HazelcastInstance hz, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            Optional<S3Settings> s3 = lookup(hz);
            if (s3.isPresent()) return s3.get();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no member of cluster " + hz.getConfig().getClusterName()
                        + " published S3 settings within " + patience.toSeconds() + " s; start 'quanthub serve' or "
                        + "give the bucket with --s3-endpoint or QUANTHUB_S3_ENDPOINT");
            }
            Thread.sleep(200);
        }
    }

    private static IMap<String, Published> map(HazelcastInstance hz) {
        return hz.getMap(MAP);
    }
}
