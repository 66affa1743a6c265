package io.quanthub.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;

/**
 * An S3 server inside this JVM: S3Proxy 4.1 with its {@code filesystem} backend, so buckets are folders and
 * objects are files under a data folder. It is what {@code quanthub serve} uses when no S3 endpoint is configured.
 *
 * <p>It listens on 127.0.0.1 only, and every start makes fresh random credentials, so other local users cannot
 * use it. The filesystem backend honours {@code If-None-Match: *} atomically (a hard link that fails when the
 * key exists), which the ref compare-and-set relies on; it does not support versioning or object tags, and this
 * module uses neither.
 */
public final class EmbeddedS3 implements AutoCloseable {
    private final S3Proxy proxy;
    private final URI endpoint;
    private final String accessKey;
    private final String secretKey;

    private EmbeddedS3(S3Proxy proxy, URI endpoint, String accessKey, String secretKey) {
        this.proxy = proxy;
        this.endpoint = endpoint;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    /** Starts on a free port. */
    public static EmbeddedS3 start(Path dataDir) {
        return start(dataDir, 0);
    }

    /** Starts on {@code port} (0 = any free port); the data folder is created if missing. */
    public static EmbeddedS3 start(Path dataDir, int port) {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port + " out of range");
        Path dir = dataDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create S3 data folder " + dir, e);
        }
        Properties backend = new Properties();
        backend.setProperty("jclouds.filesystem.basedir", dir.toString());
        String accessKey = "quanthub-" + randomHex(8);
        String secretKey = randomHex(24);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(BlobStores.create("filesystem", backend))
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
        try {
            proxy.start();
            // The bound port is only known once Jetty reports STARTED.
            while ("STARTING".equals(proxy.getState())) Thread.sleep(5);
            if (!"STARTED".equals(proxy.getState())) {
                throw new IllegalStateException("S3Proxy is " + proxy.getState() + " after start()");
            }
        } catch (Exception e) {
            stopQuietly(proxy);
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            throw new StorageException("cannot start the embedded S3 server on 127.0.0.1:" + port + ": " + e, e);
        }
        return new EmbeddedS3(proxy, URI.create("http://127.0.0.1:" + proxy.getPort()), accessKey, secretKey);
    }

    public URI endpoint() {
        return endpoint;
    }

    public int port() {
        return endpoint.getPort();
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    /** Settings for a bucket on this server (created on first use by {@link HubStorage#open}). */
    public S3Settings settings(String bucket) {
        return new S3Settings(endpoint, S3Settings.DEFAULT_REGION, bucket, accessKey, secretKey);
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new StorageException("cannot stop the embedded S3 server: " + e, e);
        }
    }

    private static void stopQuietly(S3Proxy proxy) {
        try {
            proxy.stop();
        } catch (Exception ignored) {
            // Already failing to start; the start error is the one to report.
        }
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
