package io.quanthub.cli;

import io.quanthub.cluster.ClusterMember;
import io.quanthub.cluster.Discovery;
import io.quanthub.hub.ClusterConfig;
import io.quanthub.hub.Durations;
import io.quanthub.hub.HubConfig;
import io.quanthub.hub.HubServer;
import io.quanthub.hub.PreviewLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code quanthub serve}: runs the hub until it is stopped (Ctrl-C or SIGTERM stop it gracefully: requests in flight
 * finish first). Storage is an S3 bucket given by options or {@code QUANTHUB_S3_*} variables, else an embedded S3
 * server keeping its data under {@code --data}. A converter-cluster member runs in the same process (unless
 * {@code --no-cluster}), so quant levels can be produced on demand, with an inference node that renders previews
 * (unless {@code --no-inference}); more members join it at its address.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the hub: the HTTP API, the web catalog, storage and a converter-cluster member.",
                "Without an S3 endpoint (--s3-endpoint or QUANTHUB_S3_ENDPOINT) it starts an embedded S3 server "
                        + "that keeps its data under --data. On the first start it creates an admin token in "
                        + "<data>/admin-token, readable by you only.",
                "The converter-cluster member (Hazelcast, on --cluster-host:--cluster-port) converts missing quant "
                        + "levels on request; `quanthub converter --join HOST:PORT` adds converter members.",
                "An inference node in the same process renders previews (unless --no-inference); "
                        + "`quanthub inference-node --join HOST:PORT` adds inference nodes.",
                "With the embedded S3 server, the bucket's settings (per-start random credentials, loopback only) "
                        + "go to <data>/s3.properties, readable by you only: start members on this machine with "
                        + "--s3-config <data>/s3.properties. The cluster never carries credentials.",
                JoinOptions.CLUSTER_PORT_TRUST})
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

    @Option(names = "--uploads-per-user", defaultValue = "" + HubConfig.DEFAULT_MAX_UPLOADS_PER_USER,
            paramLabel = "N", description = "Uploads one user (token) may run at the same time, of the "
            + HubConfig.DEFAULT_MAX_CONCURRENT_UPLOADS + " the hub runs; more are answered 429, so one user's slow "
            + "uploads leave the other slots to others (default: ${DEFAULT-VALUE}).")
    int uploadsPerUser;

    @Option(names = "--upload-idle-timeout", defaultValue = "" + 60, paramLabel = "SECONDS",
            description = "An upload whose client sends no bytes for this long is answered 408 and aborted, "
                    + "leaving nothing in storage (default: ${DEFAULT-VALUE}).")
    long uploadIdleSeconds;

    @Mixin
    S3Options s3;

    @Option(names = "--gc-interval", defaultValue = "6h", paramLabel = "DURATION",
            description = "How often to collect garbage (unreferenced blobs, leftovers of killed uploads), e.g. 6h, "
                    + "30m, 1d; 0 never (`quanthub admin gc` still runs it) (default: ${DEFAULT-VALUE}).")
    String gcInterval;

    @Option(names = "--gc-grace", defaultValue = "24h", paramLabel = "DURATION",
            description = "Garbage younger than this is kept (default: ${DEFAULT-VALUE}).")
    String gcGrace;

    @Option(names = "--cluster-host", defaultValue = ClusterConfig.DEFAULT_HOST, paramLabel = "ADDRESS",
            description = "Address the converter-cluster member binds and announces (default: ${DEFAULT-VALUE}; "
                    + "an address other machines reach to let their members join).")
    String clusterHost;

    @Option(names = "--cluster-port", defaultValue = "" + ClusterConfig.DEFAULT_PORT, paramLabel = "P",
            description = "Port of the converter-cluster member (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int clusterPort;

    @Option(names = "--join", paramLabel = "MEMBERS",
            description = "Join an existing converter cluster: host:port[,host:port...], or dns:SERVICE[:PORT] for "
                    + "a Kubernetes headless Service (default: start a cluster of its own).")
    String join;

    @Option(names = "--converter-workers", paramLabel = "N",
            description = "Conversion threads of this member (default: one per core, at most 4); 0 leaves "
                    + "converting to converter members, this member then only keeps the job records.")
    Integer converterWorkers;

    @Option(names = "--no-cluster", description = "Run no converter-cluster member: missing quant levels cannot "
            + "be produced (POST .../quants/{QUANT} answers 503).")
    boolean noCluster;

    @Option(names = "--no-inference", description = "Run no inference node in this process: previews wait for "
            + "nodes started with `quanthub inference-node --join HOST:PORT` (the cluster member's address).")
    boolean noInference;

    /** The backend of the hub's own inference node. */
    @Mixin
    BackendOption backend;

    @Mixin
    DeviceMemoryOption deviceMemory;

    @Option(names = "--preview-time-budget", defaultValue = "600", paramLabel = "SECONDS",
            description = "How long an inference node may spend on one preview before it fails it (default: "
                    + "${DEFAULT-VALUE}). Anonymous previews are at most 512x512, 8 steps, seeds 0..3; each caller has at "
                    + "most 4 preview jobs queued or running, the queue at most 64.")
    long previewTimeBudget;

    @Option(names = "--background", description = "Start the hub in a background process and return once it "
            + "serves (with --demo: once the demo model is pushed), printing where it listens; its output goes to "
            + "<data>/" + BackgroundServe.LOG_FILE + ", its process id to <data>/" + BackgroundServe.PID_FILE
            + " (stop it with `kill $(cat <data>/" + BackgroundServe.PID_FILE + ")`).")
    boolean background;
    @Option(names = "--text-encoders", paramLabel = "ARCH:ROLE=REF[,ROLE=REF...]",
            description = "The text encoders models of architecture ARCH use when their repository names none in "
                    + "quanthub.json, e.g. flux:clip_l=comfyanonymous/flux_text_encoders/clip_l.safetensors,"
                    + "t5xxl=org/t5-v1_1-xxl:Q8_0 (REF: org/name/path, org/name:QUANT or org/name). Repeatable.")
    List<String> textEncoders = new ArrayList<>();

    @Option(names = "--demo", description = "Generate a small Flux-architecture demo model (no network needed), push "
            + "it as " + DemoSetup.REPO + " with a few quant levels, and render their previews.")
    boolean demo;

    @Spec
    CommandSpec spec;

    /** The running hub, once started (tests stop it with {@link HubServer#close()}). */
    volatile HubServer server;

    @Override
    public Integer call() throws java.io.IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        backend.factory(); // a backend this build cannot run fails before anything starts
        if (background) {
            return BackgroundServe.start(spec.commandLine().getParseResult().originalArgs(), data, demo ? "demo: "
                    : "listening on ", out, spec.commandLine().getErr());
        }
        HubServer hub = HubServer.start(hubConfig());
        server = hub;
        // Announced once the options held: a bad option's error stays the only line.
        if (!noInference && !noCluster) BackendOption.announce(backend.create(), spec.commandLine().getErr());
        Thread stopper = new Thread(hub::close, "quanthub-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);

        out.println("admin token in " + hub.adminTokenFile().toAbsolutePath()
                + (hub.adminTokenCreated() ? " (created now; readable by you only)" : ""));
        hub.s3SettingsFile().ifPresent(file -> out.println("embedded S3 settings in " + file.toAbsolutePath()
                + " (readable by you only; members on this machine: --s3-config " + file + ")"));
        hub.clusterAddress().ifPresent(address -> out.println("cluster member at " + address
                + (clusterPort == 0 || address.endsWith(":" + clusterPort) ? "" : " (port " + clusterPort + " is taken, by another hub?)")));
        out.println("listening on " + hub.url());
        out.flush();
        if (demo) startDemo(hub, out);

        hub.awaitClosed();
        try {
            Runtime.getRuntime().removeShutdownHook(stopper);
        } catch (IllegalStateException alreadyShuttingDown) {
            // Stopped by the hook itself: nothing to remove.
        }
        return 0;
    }

    /** {@code --demo}: publishes the demo model through the hub's API and says where to look. */
    private void startDemo(HubServer hub, PrintWriter out) {
        if (noCluster) throw new IllegalArgumentException("--demo renders previews on the cluster: drop --no-cluster");
        try {
            String token = java.nio.file.Files.readString(hub.adminTokenFile()).strip();
            var client = new io.quanthub.cli.hub.HubClient(hub.url().toString(), token,
                    io.quanthub.cli.hub.HubClient.newHttpClient());
            int previews = DemoSetup.publish(client, data.resolve("demo-model"), out).size();
            out.println("demo: " + previews + " previews are rendering (" + hub.url() + "/api/jobs); see them at "
                    + hub.url() + "/" + DemoSetup.previewsPage());
        } catch (java.io.IOException e) {
            hub.close();
            throw new java.io.UncheckedIOException("--demo failed: " + e.getMessage(), e);
        }
        out.flush();
    }

    /** The default preview limits with {@code --preview-time-budget}. */
    PreviewLimits previewLimits() {
        if (previewTimeBudget < 1) throw new IllegalArgumentException("--preview-time-budget must be 1 or more seconds");
        return PreviewLimits.DEFAULTS.withTimeBudget(java.time.Duration.ofSeconds(previewTimeBudget));
    }

    /** The hub's configuration from the options. */
    HubConfig hubConfig() {
        return HubConfig.defaults(data).withHost(host).withPort(port)
                .withMaxUploadBytes(parseSize("--max-upload", maxUpload)).withS3(s3.settings(System.getenv()))
                .withMaxUploadsPerUser(uploadsPerUser).withUploadIdleTimeout(Duration.ofSeconds(uploadIdleSeconds))
                .withCluster(clusterConfig()).withPreviews(previewLimits())
                .withGc(Durations.parse("--gc-interval", gcInterval), Durations.parse("--gc-grace", gcGrace))
                .withTextEncoderDefaults(textEncoderDefaults(textEncoders));
    }

    /** {@code --text-encoders flux:clip_l=REF,t5xxl=REF} options as architecture to role to reference. */
    static Map<String, Map<String, String>> textEncoderDefaults(List<String> options) {
        Map<String, Map<String, String>> defaults = new LinkedHashMap<>();
        for (String option : options) {
            int colon = option.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("--text-encoders '" + option + "' must be ARCH:ROLE=REF[,ROLE=REF]");
            }
            Map<String, String> roles = defaults.computeIfAbsent(option.substring(0, colon).strip(),
                    arch -> new LinkedHashMap<>());
            for (String entry : option.substring(colon + 1).split(",")) {
                int eq = entry.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--text-encoders '" + option + "': '" + entry
                            + "' must be ROLE=REF");
                }
                roles.put(entry.substring(0, eq).strip(), entry.substring(eq + 1).strip());
            }
        }
        return defaults;
    }

    /** The converter-cluster member from the options; null with {@code --no-cluster}. */
    ClusterConfig clusterConfig() {
        if (noCluster) {
            if (join != null) throw new IllegalArgumentException("--join needs the cluster member (drop --no-cluster)");
            return null;
        }
        // Without --cluster-port, a second hub on this machine takes the next free port rather than failing on 5701.
        boolean portGiven = spec != null && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption("--cluster-port");
        int port = portGiven || clusterPort == 0 ? clusterPort : ClusterMember.firstFreePort(clusterHost, clusterPort);
        ClusterConfig cluster = ClusterConfig.defaults().withHost(clusterHost).withPort(port)
                .withJoin(join == null ? null : Discovery.parse(join)).withRenders(!noInference)
                .withDeviceMemory(deviceMemory.bytes())
                .withBackends(backend.factory());
        if (converterWorkers == null) return cluster;
        if (converterWorkers < 0) throw new IllegalArgumentException("--converter-workers must be 0 or more");
        return converterWorkers == 0 ? cluster.withConverts(false)
                : cluster.withOptions(cluster.options().withWorkers(converterWorkers));
    }

    /**
     * Bytes from {@code 123}, {@code 512M}, {@code 50G} (binary units, case-insensitive, optional trailing B); the
     * error names {@code option}.
     */
    static long parseSize(String option, String text) {
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
        throw new IllegalArgumentException(option + " '" + text + "' is not a size such as 50G, 512M or 1000000");
    }
}
