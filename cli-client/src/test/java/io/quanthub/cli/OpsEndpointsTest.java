package io.quanthub.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.nio.file.Path;
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
 * Every process is observable: the hub, a converter member and an inference node each answer {@code GET /metrics}
 * with their meters in Prometheus text, and {@code /health} and {@code /ready}.
 */
class OpsEndpointsTest {
    private static final Pattern METRICS = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+)/metrics "
            + "\\(health: /health, readiness: /ready\\)");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // a hang guard: the printed lines are read with no time limit
    void hubConverterAndInferenceNodeServeMetricsHealthAndReadiness() throws Exception {
        ExecutorService commands = Executors.newCachedThreadPool();
        ServeCommand serve = new ServeCommand();
        CommandLine serveCli = new CommandLine(serve);
        BufferedReader hubOut = pipeOut(serveCli);
        StringWriter hubErr = errTo(serveCli);
        CompletableFuture<Integer> hubExit = CompletableFuture.supplyAsync(() -> serveCli.execute("--port", "0",
                "--cluster-port", "0", "--data", dir.resolve("hub").toString(), "--no-inference",
                "--converter-workers", "0"), commands);
        ConverterCommand converter = new ConverterCommand();
        InferenceNodeCommand node = new InferenceNodeCommand();
        CompletableFuture<Integer> converterExit = null;
        CompletableFuture<Integer> nodeExit = null;
        try {
            String member = awaitLine(hubOut, RunningCommand.CLUSTER, hubErr).group(1);
            String hub = awaitLine(hubOut, RunningCommand.LISTENING, hubErr).group(1);
            String s3Config = dir.resolve("hub").resolve("s3.properties").toString();

            CommandLine converterCli = new CommandLine(converter);
            BufferedReader converterOut = pipeOut(converterCli);
            StringWriter converterErr = errTo(converterCli);
            converterExit = CompletableFuture.supplyAsync(() -> converterCli.execute("--join", member,
                    "--s3-config", s3Config, "--workers", "1"), commands);
            String converterOps = awaitLine(converterOut, METRICS, converterErr).group(1);

            CommandLine nodeCli = new CommandLine(node);
            BufferedReader nodeOut = pipeOut(nodeCli);
            StringWriter nodeErr = errTo(nodeCli);
            nodeExit = CompletableFuture.supplyAsync(() -> nodeCli.execute("--join", member, "--s3-config", s3Config,
                    "--data", dir.resolve("node").toString()), commands);
            String nodeOps = awaitLine(nodeOut, METRICS, nodeErr).group(1);

            assertMetrics(hub, "quanthub_jobs{state=\"queued\"}", "quanthub_served_bytes_total",
                    "jvm_memory_used_bytes");
            assertMetrics(converterOps, "quanthub_jobs{state=\"queued\"}", "quanthub_converted_bytes_total",
                    "quanthub_member_throughput_bytes_per_second", "jvm_memory_used_bytes");
            assertMetrics(nodeOps, "quanthub_previews_rendered_total", "quanthub_previews_failed_total",
                    "quanthub_preview_render_seconds_total", "quanthub_inference_busy", "quanthub_model_cache_bytes",
                    "quanthub_inference_device_memory_bytes", "quanthub_inference_loaded_models",
                    "quanthub_inference_loaded_bytes", "jvm_memory_used_bytes");
            for (String base : new String[] {hub, converterOps, nodeOps}) {
                HttpResponse<String> health = get(base + "/health");
                assertEquals(200, health.statusCode(), base);
                assertEquals("{\"status\":\"ok\"}", health.body().replace(" ", ""));
                HttpResponse<String> ready = get(base + "/ready");
                assertEquals(200, ready.statusCode(), base + ": " + ready.body());
                assertEquals("{\"status\":\"ready\"}", ready.body().replace(" ", ""));
            }
            assertEquals(404, get(nodeOps + "/metrics/other").statusCode());
        } finally {
            node.stop();
            converter.stop();
            if (nodeExit != null) assertEquals(0, nodeExit.get());
            if (converterExit != null) assertEquals(0, converterExit.get());
            if (serve.server != null) serve.server.close();
            commands.shutdown();
        }
        assertEquals(0, hubExit.get());
    }

    private static void assertMetrics(String base, String... names) throws IOException, InterruptedException {
        HttpResponse<String> metrics = get(base + "/metrics");
        assertEquals(200, metrics.statusCode(), base);
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), base);
        for (String name : names) {
            assertTrue(metrics.body().lines().anyMatch(l -> l.startsWith(name + " ") || l.startsWith(name + "{")),
                    base + "/metrics has no " + name + ":\n" + metrics.body());
        }
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }



}
