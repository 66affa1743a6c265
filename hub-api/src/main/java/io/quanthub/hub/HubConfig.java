package io.quanthub.hub;

import io.quanthub.storage.S3Settings;
import io.quanthub.storage.StorageOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to run a hub.
 *
 * @param host                 the address to bind ({@code 127.0.0.1} by default: only this machine)
 * @param port                 the HTTP port; 0 picks a free one ({@link HubServer#port()} tells which)
 * @param dataDir              where the admin token file lives, and the embedded S3 server's data when {@code s3}
 *                             is null
 * @param s3                   an external S3 bucket, or null to start the embedded S3 server under
 *                             {@code dataDir/s3}
 * @param maxUploadBytes       the largest file one upload may carry (413 above)
 * @param maxJsonBytes         the largest JSON request body (413 above)
 * @param maxConcurrentUploads uploads stored at the same time; more wait for a free slot (each holds two storage
 *                             parts in memory, see {@link StorageOptions#partSize()})
 * @param httpInstances        HTTP verticles sharing the port, one event loop each (default: up to 4, one per core)
 * @param shutdownTimeout      how long {@link HubServer#close()} lets requests in flight finish
 * @param storage              storage tuning
 * @param cluster              the converter-cluster member to run in this process, or null for none (then the hub
 *                             cannot produce quants: {@code POST .../quants/{QUANT}} answers 503)
 * @param maxUploadsPerUser    uploads one caller may run at the same time (429 above); at most
 *                             {@code maxConcurrentUploads}, and below it so that one user cannot take every slot
 * @param uploadIdleTimeout    an upload whose client sends no body bytes for this long is answered 408 and aborted
 *                             (nothing of it stays in storage)
 * @param previews             what one caller may ask of the cluster's inference nodes
 * @param gcInterval           how often the hub collects garbage (zero: never; {@code POST /api/admin/gc} still
 *                             runs it on demand)
 * @param gcGrace              how old unreferenced blobs and upload debris must be before a scheduled run (or an
 *                             admin run without {@code grace}) deletes them
 * @param textEncoderDefaults  the text encoders a model of an architecture uses when its repository names none
 *                             ({@value TextEncoders#FILE}): architecture ({@code flux}) to role ({@code t5xxl}) to
 *                             reference ({@code org/name:Q8_0}, {@code org/name/path.safetensors}), see
 *                             {@link TextEncoders}
 */
public record HubConfig(String host, int port, Path dataDir, S3Settings s3, long maxUploadBytes, int maxJsonBytes,
                        int maxConcurrentUploads, int httpInstances, Duration shutdownTimeout,
                        StorageOptions storage, ClusterConfig cluster, int maxUploadsPerUser,
                        Duration uploadIdleTimeout, PreviewLimits previews,
                        Duration gcInterval, Duration gcGrace,
                        Map<String, Map<String, String>> textEncoderDefaults) {
    /** 50 GiB: the largest file Hugging Face serves over plain HTTP. */
    public static final long DEFAULT_MAX_UPLOAD_BYTES = 50L << 30;
    /** A commit listing thousands of files fits in 1 MiB. */
    public static final int DEFAULT_MAX_JSON_BYTES = 1 << 20;
    public static final int DEFAULT_PORT = 8080;
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Upload slots (each holds two storage parts in memory). */
    public static final int DEFAULT_MAX_CONCURRENT_UPLOADS = 16;
    /** A quarter of the slots: four users at full use still leave nothing waiting behind one of them. */
    public static final int DEFAULT_MAX_UPLOADS_PER_USER = 4;
    /** Long enough for a client pausing between files or over a congested link, short enough to free a slot. */
    public static final Duration DEFAULT_UPLOAD_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_GC_INTERVAL = Duration.ofHours(6);
    /** A day: far longer than any upload takes to be committed, so a run never races a push. */
    public static final Duration DEFAULT_GC_GRACE = Duration.ofHours(24);

    public HubConfig {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("host is empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port + " is not in 0..65535");
        Objects.requireNonNull(dataDir, "data folder");
        if (maxUploadBytes <= 0) throw new IllegalArgumentException("upload limit must be > 0: " + maxUploadBytes);
        if (maxJsonBytes <= 0) throw new IllegalArgumentException("JSON body limit must be > 0: " + maxJsonBytes);
        if (maxConcurrentUploads <= 0) throw new IllegalArgumentException("concurrent uploads must be > 0");
        if (httpInstances <= 0) throw new IllegalArgumentException("HTTP instances must be > 0");
        if (shutdownTimeout.isNegative()) throw new IllegalArgumentException("negative shutdown timeout");
        Objects.requireNonNull(storage, "storage options");
        if (maxUploadsPerUser <= 0 || maxUploadsPerUser > maxConcurrentUploads) {
            throw new IllegalArgumentException("uploads per user must be in 1.." + maxConcurrentUploads
                    + " (the concurrent uploads): " + maxUploadsPerUser);
        }
        if (uploadIdleTimeout.isNegative() || uploadIdleTimeout.isZero()) {
            throw new IllegalArgumentException("upload idle timeout must be positive: " + uploadIdleTimeout);
        }
        Objects.requireNonNull(previews, "preview limits");
        if (gcInterval.isNegative()) throw new IllegalArgumentException("negative garbage-collection interval");
        if (gcGrace.isNegative()) throw new IllegalArgumentException("negative garbage-collection grace period");
        textEncoderDefaults = ModelTextEncoders.validDefaults(textEncoderDefaults);
    }

    /**
     * Port 8080 on 127.0.0.1, embedded S3 under {@code dataDir}, 50 GiB uploads (16 at a time, 4 per user, 60 s
     * without body bytes ends one), 30 s to drain on shutdown, no converter-cluster member ({@code quanthub serve}
     * adds one: {@link #withCluster}), garbage collection every 6 hours with a day's grace.
     */
    public static HubConfig defaults(Path dataDir) {
        return new HubConfig(DEFAULT_HOST, DEFAULT_PORT, dataDir, null, DEFAULT_MAX_UPLOAD_BYTES,
                DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_CONCURRENT_UPLOADS,
                Math.min(4, Runtime.getRuntime().availableProcessors()), Duration.ofSeconds(30),
                StorageOptions.defaults(), null, DEFAULT_MAX_UPLOADS_PER_USER, DEFAULT_UPLOAD_IDLE_TIMEOUT,
                PreviewLimits.DEFAULTS, DEFAULT_GC_INTERVAL, DEFAULT_GC_GRACE, Map.of());
    }

    public HubConfig withHost(String newHost) {
        return new HubConfig(newHost, port, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, shutdownTimeout, storage, cluster, maxUploadsPerUser,
                uploadIdleTimeout, previews, gcInterval, gcGrace, textEncoderDefaults);
    }

    public HubConfig withPort(int newPort) {
        return new HubConfig(host, newPort, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, shutdownTimeout, storage, cluster, maxUploadsPerUser,
                uploadIdleTimeout, previews, gcInterval, gcGrace, textEncoderDefaults);
    }

    /** An external bucket instead of the embedded S3 server (null: embedded). */
    public HubConfig withS3(S3Settings settings) {
        return new HubConfig(host, port, dataDir, settings, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, shutdownTimeout, storage, cluster, maxUploadsPerUser,
                uploadIdleTimeout, previews, gcInterval, gcGrace, textEncoderDefaults);
    }

    public HubConfig withHttpInstances(int instances) {
        return new HubConfig(host, port, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads, instances,
                shutdownTimeout, storage, cluster, maxUploadsPerUser,
                uploadIdleTimeout, previews, gcInterval, gcGrace, textEncoderDefaults);
    }

    public HubConfig withMaxUploadBytes(long limit) {
        return new HubConfig(host, port, dataDir, s3, limit, maxJsonBytes, maxConcurrentUploads, httpInstances,
                shutdownTimeout, storage, cluster, maxUploadsPerUser,
                uploadIdleTimeout, previews, gcInterval, gcGrace, textEncoderDefaults);
    }

    public HubConfig withShutdownTimeout(Duration timeout) {
        return new HubConfig(host, port, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, timeout, storage, cluster, maxUploadsPerUser,
                uploadIdleTimeout, previews, gcInterval, gcGrace, textEncoderDefaults);
    }

    public HubConfig withStorage(StorageOptions options) {
        return new HubConfig(host, port, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, shutdownTimeout, options, cluster, maxUploadsPerUser,
                uploadIdleTimeout, previews, gcInterval, gcGrace, textEncoderDefaults);
    }

    /** Runs a converter-cluster member in the hub's process (null: none). */
    public HubConfig withCluster(ClusterConfig newCluster) {
        return new HubConfig(host, port, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, shutdownTimeout, storage, newCluster, maxUploadsPerUser,
                uploadIdleTimeout, previews, gcInterval, gcGrace, textEncoderDefaults);
    }

    /** Uploads one caller may run at the same time; the slots beyond stay free for other users. */
    public HubConfig withMaxUploadsPerUser(int limit) {
        return new HubConfig(host, port, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, shutdownTimeout, storage, cluster, limit, uploadIdleTimeout, previews, gcInterval, gcGrace,
                textEncoderDefaults);
    }

    /** How long an upload may send no body bytes before it is answered 408 and aborted. */
    public HubConfig withUploadIdleTimeout(Duration timeout) {
        return new HubConfig(host, port, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, shutdownTimeout, storage, cluster, maxUploadsPerUser, timeout, previews, gcInterval,
                gcGrace, textEncoderDefaults);
    }

    /** What one caller may ask of the cluster's inference nodes (preview sizes, steps, concurrent jobs). */
    public HubConfig withPreviews(PreviewLimits limits) {
        return new HubConfig(host, port, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, shutdownTimeout, storage, cluster, maxUploadsPerUser, uploadIdleTimeout, limits,
                gcInterval, gcGrace, textEncoderDefaults);
    }

    /** Garbage collection every {@code interval} (zero: no schedule) with {@code grace}. */
    public HubConfig withGc(Duration interval, Duration grace) {
        return new HubConfig(host, port, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, shutdownTimeout, storage, cluster, maxUploadsPerUser, uploadIdleTimeout, previews,
                interval, grace, textEncoderDefaults);
    }

    /** The text encoders models of each architecture use when their repository names none. */
    public HubConfig withTextEncoderDefaults(Map<String, Map<String, String>> defaults) {
        return new HubConfig(host, port, dataDir, s3, maxUploadBytes, maxJsonBytes, maxConcurrentUploads,
                httpInstances, shutdownTimeout, storage, cluster, maxUploadsPerUser, uploadIdleTimeout, previews,
                gcInterval, gcGrace, defaults);
    }
}
