package io.quanthub.cli;

import io.quanthub.hub.HubConfig;
import io.quanthub.hub.HubServer;
import io.quanthub.storage.S3Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code quanthub serve}: runs the hub until it is stopped (Ctrl-C or SIGTERM stop it gracefully: requests in flight
 * finish first). Storage is an S3 bucket given by options or {@code QUANTHUB_S3_*} variables, else an embedded S3
 * server keeping its data under {@code --data}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the hub: the HTTP API, the web catalog and storage.",
                "Without an S3 endpoint (--s3-endpoint or QUANTHUB_S3_ENDPOINT) it starts an embedded S3 server "
                        + "that keeps its data under --data. On the first start it creates an admin token in "
                        + "<data>/admin-token, readable by you only."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = HubConfig.DEFAULT_HOST, paramLabel = "ADDRESS",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for all).")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "P",
            description = "Port to listen on (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--data", defaultValue = "./data", paramLabel = "DIR",
            description = "Folder for the admin token and the embedded S3 server's data (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--max-upload", defaultValue = "50G", paramLabel = "SIZE",
            description = "Largest file an upload may carry, in bytes or with K, M, G, T (binary units; "
                    + "default: ${DEFAULT-VALUE}).")
    String maxUpload;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3 endpoint, e.g. https://s3.amazonaws.com "
            + "(or QUANTHUB_S3_ENDPOINT).")
    String s3Endpoint;

    @Option(names = "--s3-region", paramLabel = "R", description = "S3 region (or QUANTHUB_S3_REGION; default "
            + S3Settings.DEFAULT_REGION + ").")
    String s3Region;

    @Option(names = "--s3-bucket", paramLabel = "B", description = "S3 bucket, created if missing (or "
            + "QUANTHUB_S3_BUCKET; default " + S3Settings.DEFAULT_BUCKET + ").")
    String s3Bucket;

    @Option(names = "--s3-access-key", paramLabel = "K", description = "S3 access key (or QUANTHUB_S3_ACCESS_KEY).")
    String s3AccessKey;

    @Option(names = "--s3-secret-key", paramLabel = "S", description = "S3 secret key (or QUANTHUB_S3_SECRET_KEY, "
            + "which other users cannot see in the process list).")
    String s3SecretKey;

    @Spec
    CommandSpec spec;

    /** The running hub, once started (tests stop it with {@link HubServer#close()}). */
    volatile HubServer server;

    @Override
    public Integer call() {
        HubConfig config = HubConfig.defaults(data).withHost(host).withPort(port)
                .withMaxUploadBytes(parseSize(maxUpload)).withS3(s3Settings(System.getenv()));
        HubServer hub = HubServer.start(config);
        server = hub;
        Thread stopper = new Thread(hub::close, "quanthub-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);

        PrintWriter out = spec.commandLine().getOut();
        out.println("admin token in " + hub.adminTokenFile().toAbsolutePath()
                + (hub.adminTokenCreated() ? " (created now; readable by you only)" : ""));
        out.println("listening on " + hub.url());
        out.flush();

        hub.awaitClosed();
        try {
            Runtime.getRuntime().removeShutdownHook(stopper);
        } catch (IllegalStateException alreadyShuttingDown) {
            // Stopped by the hook itself: nothing to remove.
        }
        return 0;
    }

    /**
     * The bucket from the options, each falling back to its {@code QUANTHUB_S3_*} variable; null when no endpoint
     * is given either way (the hub then starts its embedded S3 server).
     */
    S3Settings s3Settings(Map<String, String> environment) {
        Map<String, String> merged = new HashMap<>(environment);
        put(merged, "QUANTHUB_S3_ENDPOINT", s3Endpoint);
        put(merged, "QUANTHUB_S3_REGION", s3Region);
        put(merged, "QUANTHUB_S3_BUCKET", s3Bucket);
        put(merged, "QUANTHUB_S3_ACCESS_KEY", s3AccessKey);
        put(merged, "QUANTHUB_S3_SECRET_KEY", s3SecretKey);
        S3Settings settings = S3Settings.fromEnvironment(merged).orElse(null);
        if (settings == null && (s3Region != null || s3Bucket != null || s3AccessKey != null || s3SecretKey != null)) {
            throw new IllegalArgumentException("--s3-region, --s3-bucket and the S3 keys need --s3-endpoint "
                    + "(or QUANTHUB_S3_ENDPOINT)");
        }
        return settings;
    }

    private static void put(Map<String, String> env, String key, String value) {
        if (value != null) env.put(key, value);
    }

    /** Bytes from {@code 123}, {@code 512M}, {@code 50G} (binary units, case-insensitive, optional trailing B). */
    static long parseSize(String text) {
        String s = text.strip().toUpperCase(Locale.ROOT);
        if (s.endsWith("B")) s = s.substring(0, s.length() - 1);
        int shift = 0;
        if (!s.isEmpty()) {
            int unit = "KMGT".indexOf(s.charAt(s.length() - 1));
            if (unit >= 0) {
                shift = 10 * (unit + 1);
                s = s.substring(0, s.length() - 1);
            }
        }
        try {
            long n = Long.parseLong(s.strip());
            if (n > 0 && n <= Long.MAX_VALUE >> shift) return n << shift;
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new IllegalArgumentException("--max-upload '" + text + "' is not a size such as 50G, 512M or 1000000");
    }
}
