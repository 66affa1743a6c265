package io.quanthub.cli;

import io.quanthub.storage.S3Settings;
import io.quanthub.storage.S3SettingsFile;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The bucket options of commands that talk to S3 directly (a picocli mixin): each option wins over the
 * {@code --s3-config} file, which wins over the {@code QUANTHUB_S3_*} variables (in Kubernetes, a Secret's keys
 * given to the pod as environment).
 */
public final class S3Options {
    @Option(names = "--s3-config", paramLabel = "FILE", description = "File of QUANTHUB_S3_* settings, e.g. the "
            + "<data>/" + S3SettingsFile.FILE_NAME + " that 'quanthub serve' writes for its embedded S3 (readable by "
            + "you only).")
    Path config;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3 endpoint, e.g. https://s3.amazonaws.com "
            + "(or QUANTHUB_S3_ENDPOINT).")
    String endpoint;

    @Option(names = "--s3-region", paramLabel = "R", description = "S3 region (or QUANTHUB_S3_REGION; default "
            + S3Settings.DEFAULT_REGION + ").")
    String region;

    @Option(names = "--s3-bucket", paramLabel = "B", description = "S3 bucket (or QUANTHUB_S3_BUCKET; default "
            + S3Settings.DEFAULT_BUCKET + ").")
    String bucket;

    @Option(names = "--s3-access-key", paramLabel = "K", description = "S3 access key (or QUANTHUB_S3_ACCESS_KEY).")
    String accessKey;

    @Option(names = "--s3-secret-key", paramLabel = "S", description = "S3 secret key (or QUANTHUB_S3_SECRET_KEY, "
            + "which other users cannot see in the process list).")
    String secretKey;

    /** The bucket from the options, the file and {@code environment}; null when none names an endpoint. */
    S3Settings settings(Map<String, String> environment) {
        Map<String, String> merged = new HashMap<>(environment);
        if (config != null) merged.putAll(S3SettingsFile.read(config));
        put(merged, "QUANTHUB_S3_ENDPOINT", endpoint);
        put(merged, "QUANTHUB_S3_REGION", region);
        put(merged, "QUANTHUB_S3_BUCKET", bucket);
        put(merged, "QUANTHUB_S3_ACCESS_KEY", accessKey);
        put(merged, "QUANTHUB_S3_SECRET_KEY", secretKey);
        S3Settings settings = S3Settings.fromEnvironment(merged).orElse(null);
        if (settings == null && (region != null || bucket != null || accessKey != null || secretKey != null)) {
            throw new IllegalArgumentException("--s3-region, --s3-bucket and the S3 keys need --s3-endpoint "
                    + "(or QUANTHUB_S3_ENDPOINT)");
        }
        return settings;
    }

    private static void put(Map<String, String> env, String key, String value) {
        if (value != null) env.put(key, value);
    }
}
