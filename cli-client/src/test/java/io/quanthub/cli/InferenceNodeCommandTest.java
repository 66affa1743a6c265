package io.quanthub.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.hub.api.HubJob;
import io.quanthub.hub.api.Preview;
import io.quanthub.inference.preview.DeviceMemory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import static io.quanthub.cli.RunningCommand.awaitLine;
import static io.quanthub.cli.RunningCommand.errTo;
import static io.quanthub.cli.RunningCommand.pipeOut;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code quanthub inference-node --join}: a hub started with {@code --no-inference} renders nothing itself; a
 * standalone inference node (run in-process through picocli, as a separate cluster member) joins it, takes the
 * bucket from the settings file the hub wrote for its embedded S3 ({@code --s3-config}), and renders the previews asked for over HTTP.
 */
class InferenceNodeCommandTest {
    private static final Duration PATIENCE = Duration.ofMinutes(3); // a hang guard, not a timing assertion
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard: the printed lines are read with no time limit
    void aHubWithoutItsOwnNodeHasItsPreviewsRenderedByAJoinedInferenceNode() throws Exception {
        ServeCommand serve = new ServeCommand();
        CommandLine serveCli = new CommandLine(serve);
        BufferedReader hubOut = pipeOut(serveCli);
        StringWriter hubErr = errTo(serveCli);
        // Each command on a thread of its own: both run until stopped (the common pool may have a single thread).
        ExecutorService commands = Executors.newCachedThreadPool();
        CompletableFuture<Integer> hubExit = CompletableFuture.supplyAsync(() -> serveCli.execute("--port", "0",
                "--cluster-port", "0", "--data", dir.resolve("hub").toString(), "--no-inference", "--demo"),
                commands);
        InferenceNodeCommand node = new InferenceNodeCommand();
        CompletableFuture<Integer> nodeExit = null;
        try {
            String member = awaitLine(hubOut, RunningCommand.CLUSTER, hubErr).group(1);
            String base = awaitLine(hubOut, RunningCommand.LISTENING, hubErr).group(1);
            awaitLine(hubOut, Pattern.compile("demo: 3 previews are rendering .*"), hubErr);

            // The demo's request again: the same job, queued, since no node renders yet.
            HubClient hub = new HubClient(base, null, HTTP);
            String id = hub.requestPreview("demo/flux-demo", null, "Q4_K_M", DemoSetup.PREVIEW).job().id();
            assertEquals(HubJob.State.QUEUED, hub.preview(id).job().state(), "nothing renders in the hub");

            CommandLine nodeCli = new CommandLine(node); // kept, to stop it as Ctrl-C would
            BufferedReader nodeOut = pipeOut(nodeCli);
            StringWriter nodeErr = errTo(nodeCli);
            nodeExit = CompletableFuture.supplyAsync(() -> nodeCli.execute("--join", member,
                    "--s3-config", dir.resolve("hub").resolve("s3.properties").toString(),
                    "--data", dir.resolve("node").toString()), commands);
            String nodeAddress = awaitLine(nodeOut, RunningCommand.NODE, nodeErr).group(1);
            assertNotEquals(member, nodeAddress);

            Preview done = RunningCommand.awaitDone(hub, id, PATIENCE);
            assertEquals(nodeAddress, done.node(), "rendered by the standalone node");
            assertTrue(done.psnr() != null, "compared with its reference");
            Preview reference = hub.preview(done.reference());
            assertEquals(nodeAddress, reference.node());
            HttpResponse<byte[]> image = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/previews/" + id
                    + "/image")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, image.statusCode());
            assertEquals("image/png", image.headers().firstValue("Content-Type").orElse(""));
            assertTrue(Files.isDirectory(dir.resolve("node").resolve("model-cache")), "the node cached the files");
        } finally {
            node.stop();
            if (nodeExit != null) assertEquals(0, nodeExit.get());
            if (serve.server != null) serve.server.close();
            commands.shutdown();
        }
        assertEquals(0, hubExit.get());
    }

    /**
     * Two nodes with different {@code --device-memory}: the small one fits the demo's quants but not its BF16 source,
     * so the source's reference preview waits, saying why, until the large node joins and renders it.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard: the printed lines are read with no time limit
    void aPreviewNoNodeFitsWaitsSayingWhyUntilANodeWithMoreDeviceMemoryJoins() throws Exception {
        ServeCommand serve = new ServeCommand();
        CommandLine serveCli = new CommandLine(serve);
        BufferedReader hubOut = pipeOut(serveCli);
        StringWriter hubErr = errTo(serveCli);
        ExecutorService commands = Executors.newCachedThreadPool();
        CompletableFuture<Integer> hubExit = CompletableFuture.supplyAsync(() -> serveCli.execute("--port", "0",
                "--cluster-port", "0", "--data", dir.resolve("hub").toString(), "--no-inference", "--demo"),
                commands);
        InferenceNodeCommand small = new InferenceNodeCommand();
        InferenceNodeCommand large = new InferenceNodeCommand();
        java.util.List<CompletableFuture<Integer>> nodeExits = new java.util.ArrayList<>();
        try {
            String member = awaitLine(hubOut, RunningCommand.CLUSTER, hubErr).group(1);
            String base = awaitLine(hubOut, RunningCommand.LISTENING, hubErr).group(1);
            awaitLine(hubOut, Pattern.compile("demo: 3 previews are rendering .*"), hubErr);
            String admin = Files.readString(dir.resolve("hub").resolve("admin-token")).strip();
            HubClient hub = new HubClient(base, null, HTTP);
            Preview quant = hub.requestPreview("demo/flux-demo", null, "Q4_K_M", DemoSetup.PREVIEW);
            Preview source = hub.preview(quant.reference());
            assertTrue(quant.memoryBytes() > 0 && quant.memoryBytes() < source.memoryBytes(),
                    quant.memoryBytes() + " vs " + source.memoryBytes());

            nodeExits.add(startNode(small, commands, member, "small", quant.memoryBytes()));
            assertTrue(nodes(base, admin).contains("\"deviceMemoryBytes\":" + quant.memoryBytes()),
                    "the small node reports its --device-memory");
            Preview waiting = hub.preview(source.job().id());
            assertEquals(HubJob.State.QUEUED, waiting.job().state(), waiting.toString());
            assertEquals("needs " + DeviceMemory.format(source.memoryBytes()) + "; the largest inference node has "
                    + DeviceMemory.format(quant.memoryBytes()), waiting.job().message());
            String queue = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(queue.contains("\"message\":\"" + waiting.job().message() + "\""),
                    "the queue says it: " + queue);

            String largeAddress = startNode(large, commands, member, "large", source.memoryBytes(), nodeExits);
            Preview reference = RunningCommand.awaitDone(hub, source.job().id(), PATIENCE);
            assertEquals(largeAddress, reference.node(), "only the large node fits the source");
            assertEquals(null, reference.job().message());
            assertTrue(RunningCommand.awaitDone(hub, quant.job().id(), PATIENCE).psnr() != null, "the quant, compared with its reference");
            String listed = nodes(base, admin);
            assertTrue(listed.indexOf(largeAddress) < listed.indexOf("\"deviceMemoryBytes\":" + quant.memoryBytes()),
                    "both nodes, the large one first: " + listed);
            assertTrue(listed.contains("\"backend\":\"cpu\""), listed);
            assertEquals(401, HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/admin/nodes")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), "administrators only");
        } finally {
            small.stop();
            large.stop();
            for (CompletableFuture<Integer> exit : nodeExits) assertEquals(0, exit.get());
            if (serve.server != null) serve.server.close();
            commands.shutdown();
        }
        assertEquals(0, hubExit.get());
    }

    /** Starts {@code node} with {@code --device-memory bytes}; returns its exit, once it printed that it runs. */
    private CompletableFuture<Integer> startNode(InferenceNodeCommand node, ExecutorService commands, String member,
                                                 String name, long bytes) throws IOException {
        java.util.List<CompletableFuture<Integer>> exits = new java.util.ArrayList<>();
        startNode(node, commands, member, name, bytes, exits);
        return exits.getFirst();
    }

    /** Starts {@code node} with {@code --device-memory bytes}, adding its exit to {@code exits}; its address. */
    private String startNode(InferenceNodeCommand node, ExecutorService commands, String member, String name,
                             long bytes, java.util.List<CompletableFuture<Integer>> exits) throws IOException {
        CommandLine cli = new CommandLine(node);
        BufferedReader out = pipeOut(cli);
        StringWriter err = errTo(cli);
        exits.add(CompletableFuture.supplyAsync(() -> cli.execute("--join", member,
                "--s3-config", dir.resolve("hub").resolve("s3.properties").toString(),
                "--data", dir.resolve(name).toString(), "--device-memory", Long.toString(bytes)), commands));
        return awaitLine(out, Pattern.compile("inference node at (127\\.0\\.0\\.1:\\d+) joined a cluster of \\d "
                + "members; .*; device memory " + Pattern.quote(DeviceMemory.format(bytes))), err).group(1);
    }

    /** {@code GET /api/admin/nodes} as the administrator: the JSON text. */
    private static String nodes(String base, String admin) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/admin/nodes"))
                .header("Authorization", "Bearer " + admin).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    @Test
    void badOptionsAreOneLineErrors() {
        Cli badJoin = Cli.run("inference-node", "--join", "hub-without-port", "--data", dir.toString());
        assertEquals(1, badJoin.exit());
        assertEquals("quanthub: cluster address 'hub-without-port' is not host:port[,host:port...] or "
                + "dns:SERVICE[:PORT]\n", badJoin.err());

        Cli badPort = Cli.run("inference-node", "--join", "127.0.0.1:99999", "--data", dir.toString());
        assertEquals(1, badPort.exit());
        assertTrue(badPort.err().startsWith("quanthub: cluster address '127.0.0.1:99999' is not"), badPort.err());

        Cli badSize = Cli.run("inference-node", "--join", "127.0.0.1:5701", "--cache-size", "lots");
        assertEquals(1, badSize.exit());
        assertEquals("quanthub: --cache-size 'lots' is not a size such as 50G, 512M or 1000000\n", badSize.err());

        Cli badDevice = Cli.run("inference-node", "--join", "127.0.0.1:5701", "--device-memory", "8 gigs");
        assertEquals(1, badDevice.exit());
        assertEquals("quanthub: --device-memory '8 gigs' is not a size such as 50G, 512M or 1000000\n",
                badDevice.err());

        Cli noJoin = Cli.run("inference-node");
        assertEquals(2, noJoin.exit());
        assertTrue(noJoin.err().startsWith("Missing required option: '--join=HOST:PORT'"), noJoin.err());
    }

    @Test
    void serveHelpDocumentsNoInference() {
        Cli help = Cli.run("serve", "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--no-inference"), help.out());
        assertTrue(help.out().contains("quanthub inference-node --join"), help.out());
        assertTrue(help.out().contains("The cluster port has no authentication"), help.out());
        for (String member : new String[] {"converter", "inference-node"}) {
            Cli memberHelp = Cli.run(member, "--help");
            assertTrue(memberHelp.out().contains("--s3-config"), memberHelp.out());
            assertTrue(memberHelp.out().contains("The cluster port has no authentication"), memberHelp.out());
        }
    }




}
