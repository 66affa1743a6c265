package io.quanthub.storage;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where the hub's bucket lives: an S3 endpoint (AWS, MinIO, Ceph RGW, Garage, the {@link EmbeddedS3} server...),
 * its region, the bucket and the credentials. Addressing is path-style, which every S3 implementation supports.
 *
 * <p>The region is always given explicitly: without it the MinIO client asks the server for the bucket's
 * location before its first request.
 */
public record S3Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey) {
    public static final String DEFAULT_REGION = "us-east-1";
    public static final String DEFAULT_BUCKET = "quanthub";

    // S3 bucket naming rules (3-63 characters, lower case, digits, '.', '-', starting and ending alphanumeric).
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    public S3Settings {
        Objects.requireNonNull(endpoint, "S3 endpoint");
        String scheme = endpoint.getScheme();
        if ((!"http".equals(scheme) && !"https".equals(scheme)) || endpoint.getHost() == null) {
            throw new IllegalArgumentException("S3 endpoint " + endpoint + " must be an http(s)://host[:port] URL");
        }
        if (region == null || region.isBlank()) throw new IllegalArgumentException("S3 region is empty");
        if (bucket == null || !BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
            throw new IllegalArgumentException("S3 bucket " + Names.quote(bucket)
                    + " is not a valid bucket name (3-63 characters of [a-z0-9.-], alphanumeric at both ends)");
        }
        if (accessKey == null || accessKey.isEmpty()) throw new IllegalArgumentException("S3 access key is empty");
        if (secretKey == null || secretKey.isEmpty()) throw new IllegalArgumentException("S3 secret key is empty");
    }

    /** Settings from the process environment, or empty when {@code QUANTHUB_S3_ENDPOINT} is not set. */
    public static Optional<S3Settings> fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * Settings from {@code QUANTHUB_S3_ENDPOINT}, {@code QUANTHUB_S3_REGION} (default {@value #DEFAULT_REGION}),
     * {@code QUANTHUB_S3_BUCKET} (default {@value #DEFAULT_BUCKET}), {@code QUANTHUB_S3_ACCESS_KEY} and
     * {@code QUANTHUB_S3_SECRET_KEY}; empty when no endpoint is set (the caller then starts {@link EmbeddedS3}).
     */
    public static Optional<S3Settings> fromEnvironment(Map<String, String> env) {
        String endpoint = env.get("QUANTHUB_S3_ENDPOINT");
        if (endpoint == null || endpoint.isBlank()) return Optional.empty();
        URI uri;
        try {
            uri = URI.create(endpoint.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("QUANTHUB_S3_ENDPOINT " + Names.quote(endpoint) + " is not a URL");
        }
        String accessKey = env.get("QUANTHUB_S3_ACCESS_KEY");
        String secretKey = env.get("QUANTHUB_S3_SECRET_KEY");
        if (accessKey == null || accessKey.isEmpty() || secretKey == null || secretKey.isEmpty()) {
            throw new IllegalArgumentException(
                    "QUANTHUB_S3_ENDPOINT is set but QUANTHUB_S3_ACCESS_KEY or QUANTHUB_S3_SECRET_KEY is missing");
        }
        return Optional.of(new S3Settings(uri,
                env.getOrDefault("QUANTHUB_S3_REGION", DEFAULT_REGION),
                env.getOrDefault("QUANTHUB_S3_BUCKET", DEFAULT_BUCKET),
                accessKey, secretKey));
    }

    /** Same settings, another bucket. */
    public S3Settings withBucket(String otherBucket) {
        return new S3Settings(endpoint, region, otherBucket, accessKey, secretKey);
    }

    /** Never prints the secret key (records print every component by default). */
    @Override
    public String toString() {
        return "S3Settings[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket
                + ", accessKey=" + accessKey + ", secretKey=***]";
    }
}
