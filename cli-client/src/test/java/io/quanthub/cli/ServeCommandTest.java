package io.quanthub.cli;

import io.quanthub.hub.ClusterConfig;
import io.quanthub.storage.S3Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.BufferedReader;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code quanthub serve} run in-process: it prints where it listens, serves, and stops cleanly. */
class ServeCommandTest {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:(\\d+))");
    private static final Pattern CLUSTER = Pattern.compile("cluster member at 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void servesUntilClosedAndPrintsTheListeningLine() throws Exception {
        ServeCommand serve = new ServeCommand();
        CommandLine cli = new CommandLine(serve);
        PipedReader pipe = new PipedReader();
        cli.setOut(new PrintWriter(new PipedWriter(pipe), true));
        cli.setErr(new PrintWriter(new StringWriter()));
        Path data = dir.resolve("data");
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                () -> cli.execute("--port", "0", "--cluster-port", "0", "--data", data.toString()));

        BufferedReader lines = new BufferedReader(pipe);
        String adminLine = lines.readLine();
        assertTrue(adminLine.startsWith("admin token in " + data.toAbsolutePath().resolve("admin-token")), adminLine);
        Path s3File = data.toAbsolutePath().resolve("s3.properties");
        String s3Line = lines.readLine();
        assertTrue(s3Line.startsWith("embedded S3 settings in " + s3File + " (readable by you only; members on this "
                + "machine: --s3-config "), s3Line);
        String clusterLine = lines.readLine();
        Matcher member = CLUSTER.matcher(clusterLine);
        assertTrue(member.matches(), "printed '" + clusterLine + "'");
        assertEquals("127.0.0.1:" + member.group(1), serve.server.clusterAddress().orElseThrow());
        // The member accepts connections on its port (Hazelcast's own protocol: a plain TCP connect is enough here).
        new java.net.Socket("127.0.0.1", Integer.parseInt(member.group(1))).close();
        String listening = lines.readLine();
        Matcher m = LISTENING.matcher(listening);
        assertTrue(m.matches(), "printed '" + listening + "'");
        assertEquals(serve.server.port(), Integer.parseInt(m.group(2)));

        HttpResponse<String> health = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(m.group(1) + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(data.resolve("admin-token"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(s3File)));
        // The file holds the settings the hub's storage uses: a member started with it reaches the same bucket.
        S3Settings fromFile = S3Settings.fromEnvironment(io.quanthub.storage.S3SettingsFile.read(s3File))
                .orElseThrow();
        try (io.quanthub.storage.HubStorage storage = io.quanthub.storage.HubStorage.open(fromFile)) {
            assertEquals(java.util.List.of(), storage.repos().list(), "the credentials open the hub's bucket");
        }

        serve.server.close();
        assertEquals(0, exit.get());
        assertThrows(java.io.IOException.class, () -> new java.net.Socket("127.0.0.1",
                Integer.parseInt(member.group(1))).close(), "the member stopped with the hub");
    }

    @Test
    void aTakenClusterPortIsAOneLineErrorAndNothingKeepsRunning() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            Cli serve = Cli.run("serve", "--port", "0", "--cluster-port", Integer.toString(taken.getLocalPort()),
                    "--data", dir.resolve("data").toString());
            assertEquals(1, serve.exit());
            String error = serve.err().lines().filter(l -> l.startsWith("quanthub: ")).findFirst().orElseThrow();
            assertTrue(error.startsWith("quanthub: cannot start the converter-cluster member on 127.0.0.1:"
                    + taken.getLocalPort()) && error.contains("--cluster-port"), serve.err());
        }
    }

    @Test
    void withoutClusterPortASecondHubTakesTheNextFreePort() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            int next = io.quanthub.cluster.ClusterMember.firstFreePort("127.0.0.1", taken.getLocalPort());
            assertTrue(next > taken.getLocalPort(), "skipped the taken port: " + next);
        }
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs();
        int port = serve.clusterConfig().port();
        assertTrue(port >= ClusterConfig.DEFAULT_PORT, "from the default port on: " + port);
        new java.net.ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1")).close(); // it was free
    }

    @Test
    void clusterOptionsMakeTheMemberConfiguration() throws Exception {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--no-cluster");
        assertNull(serve.clusterConfig());
        ServeCommand joining = new ServeCommand();
        new CommandLine(joining).parseArgs("--cluster-host", "10.0.0.5", "--join", "dns:quanthub.ns.svc:5701",
                "--converter-workers", "0");
        io.quanthub.hub.ClusterConfig config = joining.clusterConfig();
        assertEquals("10.0.0.5", config.host());
        assertEquals(new io.quanthub.cluster.Discovery.KubernetesDns("quanthub.ns.svc", 5701), config.join());
        assertEquals(false, config.converts());
        assertEquals(java.time.Duration.ofMinutes(10), joining.previewLimits().timeBudget());
        ServeCommand budget = new ServeCommand();
        new CommandLine(budget).parseArgs("--preview-time-budget", "30");
        assertEquals(java.time.Duration.ofSeconds(30), budget.previewLimits().timeBudget());
        ServeCommand noBudget = new ServeCommand();
        new CommandLine(noBudget).parseArgs("--preview-time-budget", "0");
        assertThrows(IllegalArgumentException.class, noBudget::previewLimits);
        ServeCommand both = new ServeCommand();
        new CommandLine(both).parseArgs("--no-cluster", "--join", "127.0.0.1:5701");
        assertThrows(IllegalArgumentException.class, both::clusterConfig);
    }

    /** The hub's own inference node renders on --backend; one this build cannot run stops serve before it starts. */
    @Test
    void theHubsNodeRendersOnTheSelectedBackend(@TempDir Path data) {
        ServeCommand cpu = new ServeCommand();
        new CommandLine(cpu).parseArgs("--backend", "cpu");
        assertTrue(cpu.clusterConfig().backends().get() instanceof io.quanthub.inference.compute.CpuBackend);
        Cli tornado = Cli.run("serve", "--port", "0", "--cluster-port", "0", "--backend", "tornado", "--data",
                data.toString());
        assertEquals(1, tornado.exit(), tornado.err());
        assertEquals("quanthub: --backend tornado: the TornadoVM backend is not on this class path: build its SDK with "
                + "scripts/tornadovm.sh (or set TORNADOVM_HOME) and run through ./quanthub", tornado.err().strip());
        assertEquals("", tornado.out(), "nothing started");
    }

    @Test
    void uploadOptionsMakeTheHubConfiguration() {
        ServeCommand defaults = new ServeCommand();
        new CommandLine(defaults).parseArgs("--no-cluster");
        assertEquals(4, defaults.hubConfig().maxUploadsPerUser());
        assertEquals(java.time.Duration.ofSeconds(60), defaults.hubConfig().uploadIdleTimeout());
        ServeCommand tuned = new ServeCommand();
        new CommandLine(tuned).parseArgs("--no-cluster", "--uploads-per-user", "2", "--upload-idle-timeout", "5");
        assertEquals(2, tuned.hubConfig().maxUploadsPerUser());
        assertEquals(java.time.Duration.ofSeconds(5), tuned.hubConfig().uploadIdleTimeout());
        ServeCommand greedy = new ServeCommand();
        new CommandLine(greedy).parseArgs("--no-cluster", "--uploads-per-user", "17");
        assertTrue(assertThrows(IllegalArgumentException.class, greedy::hubConfig).getMessage()
                .contains("uploads per user must be in 1..16"));
    }

    @Test
    void textEncoderDefaultsArePerArchitecture() {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--no-cluster", "--text-encoders",
                "flux:clip_l=enc/clip/clip_l.safetensors,t5xxl=enc/t5:Q8_0", "--text-encoders", "sd1:clip_l=enc/clip");
        assertEquals(Map.of("flux", Map.of("clip_l", "enc/clip/clip_l.safetensors", "t5xxl", "enc/t5:Q8_0"),
                "sd1", Map.of("clip_l", "enc/clip")), serve.hubConfig().textEncoderDefaults());
        Cli noArch = Cli.run("serve", "--port", "0", "--no-cluster", "--text-encoders", "clip_l=enc/clip", "--data",
                dir.resolve("te-data").toString());
        assertEquals(1, noArch.exit());
        assertTrue(noArch.err().contains("--text-encoders 'clip_l=enc/clip' must be ARCH:ROLE=REF"), noArch.err());
        ServeCommand badRef = new ServeCommand();
        new CommandLine(badRef).parseArgs("--no-cluster", "--text-encoders", "flux:t5xxl=enc/t5:Q9");
        assertTrue(assertThrows(IllegalArgumentException.class, badRef::hubConfig).getMessage()
                .contains("unknown quantization type 'Q9'"));
    }

    @Test
    void s3OptionsFallBackToTheEnvironment() {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--s3-endpoint", "http://127.0.0.1:9000", "--s3-bucket", "models");
        S3Settings settings = serve.s3.settings(Map.of("QUANTHUB_S3_ACCESS_KEY", "ak", "QUANTHUB_S3_SECRET_KEY", "sk",
                "QUANTHUB_S3_BUCKET", "ignored"));
        assertEquals(URI.create("http://127.0.0.1:9000"), settings.endpoint());
        assertEquals("models", settings.bucket());
        assertEquals("ak", settings.accessKey());
        assertEquals(S3Settings.DEFAULT_REGION, settings.region());

        ServeCommand embedded = new ServeCommand();
        new CommandLine(embedded).parseArgs();
        assertNull(embedded.s3.settings(Map.of()));

        ServeCommand halfConfigured = new ServeCommand();
        new CommandLine(halfConfigured).parseArgs("--s3-bucket", "models");
        assertThrows(IllegalArgumentException.class, () -> halfConfigured.s3.settings(Map.of()));
    }

    @Test
    void sizesHaveBinaryUnits() {
        assertEquals(50L << 30, ServeCommand.parseSize("--max-upload", "50G"));
        assertEquals(512L << 20, ServeCommand.parseSize("--max-upload", "512mb"));
        assertEquals(1000, ServeCommand.parseSize("--max-upload", "1000"));
        assertThrows(IllegalArgumentException.class, () -> ServeCommand.parseSize("--max-upload", "lots"));
        assertThrows(IllegalArgumentException.class, () -> ServeCommand.parseSize("--max-upload", "0"));
        assertThrows(IllegalArgumentException.class, () -> ServeCommand.parseSize("--max-upload", "99999999999T"));
    }

    @Test
    void garbageCollectionOptionsAreDurations() {
        Cli serve = Cli.run("serve", "--port", "0", "--no-cluster", "--gc-interval", "often", "--data",
                dir.resolve("gc-data").toString());
        assertEquals(1, serve.exit());
        assertEquals("quanthub: --gc-interval: 'often' is not a duration (expected e.g. 90s, 30m, 24h, 7d or PT24H)",
                serve.err().strip());
        assertTrue(Cli.run("serve", "--help").out().contains("--gc-grace"));
    }

    @Test
    void serveIsACommandOfTheCli() {
        Cli help = Cli.run("serve", "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--s3-endpoint"), help.out());
    }
}
