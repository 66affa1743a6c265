package io.quanthub.hub;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quanthub.cluster.ConverterMetrics;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.Migrations;
import io.quanthub.storage.S3Settings;
import io.quanthub.storage.S3SettingsFile;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running hub: storage (an external S3 bucket, or the embedded S3 server under the data folder), the admin token,
 * the converter-cluster member when {@link HubConfig#cluster()} asks for one, and the HTTP servers.
 * {@code quanthub serve} and the tests start it the same way.
 *
 * <pre>{@code
 * try (HubServer hub = HubServer.start(HubConfig.defaults(dataDir).withPort(0))) {
 *     URI api = hub.url();
 * }
 * }</pre>
 */
public final class HubServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HubServer.class.getName());

    private final HubConfig config;
    private final EmbeddedS3 embeddedS3;
    private final HubStorage storage;
    private final ConverterMember converter;
    private final PreviewService previews;
    private final GcScheduler gc;
    private final Vertx vertx;
    private final int port;
    private final AdminToken.Result adminToken;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);

    private HubServer(HubConfig config, EmbeddedS3 embeddedS3, HubStorage storage, ConverterMember converter,
                      PreviewService previews, GcScheduler gc, Vertx vertx, int port, AdminToken.Result adminToken) {
        this.config = config;
        this.embeddedS3 = embeddedS3;
        this.storage = storage;
        this.converter = converter;
        this.previews = previews;
        this.gc = gc;
        this.vertx = vertx;
        this.port = port;
        this.adminToken = adminToken;
    }

    /**
     * Starts storage, the converter-cluster member (if configured), then the HTTP servers; returns once they accept
     * connections.
     *
     * @throws RuntimeException with a one-line message when something cannot start (port taken, S3 unreachable,
     *                          data folder not writable, cluster port taken); whatever had started is stopped again
     */
    public static HubServer start(HubConfig config) {
        Path data = config.dataDir().toAbsolutePath().normalize();
        try {
            Files.createDirectories(data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data folder " + data + ": " + e.getMessage(), e);
        }
        EmbeddedS3 embeddedS3 = null;
        HubStorage storage = null;
        ConverterMember converter = null;
        PreviewService previews = null;
        Vertx vertx = null;
        try {
            S3Settings settings = config.s3();
            if (settings == null) {
                embeddedS3 = EmbeddedS3.start(data.resolve("s3"));
                settings = embeddedS3.settings(S3Settings.DEFAULT_BUCKET);
                // Members on this machine read the per-start credentials from here (never from the cluster).
                S3SettingsFile.write(data.resolve(S3SettingsFile.FILE_NAME), settings);
            }
            storage = HubStorage.open(settings, config.storage());
            Migrations.Report migrated = storage.migrate();
            // A bucket older than this version gets one line; a new one (nothing to change) gets none.
            if (migrated.indexedCommits() > 0 || migrated.deletedPushedVariants() > 0) {
                LOG.log(System.Logger.Level.INFO, "storage migrated (" + String.join(", ", migrated.ranSteps())
                        + "): " + migrated.indexedCommits() + " commits indexed, " + migrated.deletedPushedVariants()
                        + " pushed-quant variant records removed");
            }
            AdminToken.Result adminToken = AdminToken.ensure(data, storage.tokens(), storage.accounts());
            if (config.cluster() != null) converter = ConverterMember.start(config.cluster(), storage);
            if (converter != null) {
                previews = PreviewService.start(converter.hazelcast(), storage, data, config.cluster(),
                        config.textEncoderDefaults());
            }

            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
                    .setEnabled(true)
                    .setJvmMetricsEnabled(true)
                    .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
            vertx = Vertx.builder()
                    .with(new VertxOptions().setMetricsOptions(metrics))
                    .withMetrics(new MicrometerMetricsFactory(registry))
                    .build();
            // The hub's own meters go in after Vert.x has set up the registry.
            Hub hub = new Hub(config, storage, new HubMetrics(registry), vertx, converter,
                    previews == null ? null : previews.jobs());
            // quanthub_jobs{state}, quanthub_converted_bytes_total, quanthub_member_throughput_bytes_per_second
            if (converter != null) new ConverterMetrics(converter.jobs()).bindTo(registry);

            // Servers on one port share it; Vert.x shares a random port only when it is asked for as -1 (0 would
            // give every instance its own).
            int listenPort = config.port() == 0 ? -1 : config.port();
            List<HttpVerticle> servers = new CopyOnWriteArrayList<>();
            vertx.deployVerticle(() -> {
                HttpVerticle server = new HttpVerticle(hub, registry, listenPort);
                servers.add(server);
                return server;
            }, new DeploymentOptions().setInstances(config.httpInstances())).await();
            GcScheduler gc = GcScheduler.start(storage, hub.metrics, config.gcInterval(), config.gcGrace());
            return new HubServer(config, embeddedS3, storage, converter, previews, gc, vertx,
                    servers.getFirst().actualPort(), adminToken);
        } catch (Exception e) { // Future.await() rethrows checked causes too (a BindException when the port is taken)
            RuntimeException failure = e instanceof RuntimeException r ? r
                    : new IllegalStateException("cannot start the hub on " + config.host() + ":" + config.port()
                            + ": " + e.getMessage() + (e instanceof java.net.BindException
                            ? " (another hub on this machine? choose another --port, or 0 for a free one)" : ""), e);
            closeQuietly(vertx, previews, converter, storage, embeddedS3, failure);
            throw failure;
        }
    }

    private static void closeQuietly(Vertx vertx, PreviewService previews, ConverterMember converter,
                                     HubStorage storage, EmbeddedS3 s3, RuntimeException failure) {
        try {
            if (vertx != null) vertx.close().await();
            if (previews != null) previews.close();
            if (converter != null) converter.close();
            if (storage != null) storage.close();
            if (s3 != null) s3.close();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    public int port() {
        return port;
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
    public URI url() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return URI.create("http://" + host + ":" + port);
    }

    /** {@code host:port} of this process's converter-cluster member (others join it there); empty without one. */
    public Optional<String> clusterAddress() {
        return Optional.ofNullable(converter).map(ConverterMember::address);
    }

    /**
     * The file with the embedded S3 server's settings ({@code <data>/s3.properties}, owner-only), which members on
     * this machine are started with ({@code --s3-config}); empty when the hub uses an external bucket.
     */
    public Optional<Path> s3SettingsFile() {
        return embeddedS3 == null ? Optional.empty()
                : Optional.of(config.dataDir().toAbsolutePath().normalize().resolve(S3SettingsFile.FILE_NAME));
    }

    /** The file holding the admin token. */
    public Path adminTokenFile() {
        return adminToken.file();
    }

    /** True when this start created the admin token (the first start with this data folder). */
    public boolean adminTokenCreated() {
        return adminToken.created();
    }

    /**
     * Stops gracefully: the servers stop accepting connections, requests in flight (downloads included) get up to
     * {@link HubConfig#shutdownTimeout()} to finish (job event streams end at once), then the converter-cluster
     * member leaves the cluster (its share of the job records moves to the other members, which take over its
     * tasks), then storage and the embedded S3 server close. Idempotent; concurrent callers return once it is done.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitClosed();
            return;
        }
        try {
            gc.close(config.shutdownTimeout());
            vertx.close().await(); // undeploys the HTTP verticles: each shuts its server down gracefully
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "stopping the HTTP servers failed", e);
        } finally {
            try {
                if (previews != null) previews.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "stopping the inference node failed", e);
            }
            try {
                if (converter != null) converter.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "leaving the converter cluster failed", e);
            }
            try {
                storage.close();
                if (embeddedS3 != null) embeddedS3.close();
            } finally {
                closed.countDown();
            }
        }
    }

    /** Blocks until {@link #close()} has finished (for a command that serves until it is stopped). */
    public void awaitClosed() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
