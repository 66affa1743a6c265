package io.quanthub.cluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operations endpoints of a process that is not the hub (a converter member, an inference node), the same as
 * the hub's: {@code GET /health} (the process answers), {@code GET /ready} (it can work: 503 with the reason when
 * not) and {@code GET /metrics} (Prometheus text: the process's own meters and the JVM's). Requests run on a small
 * pool of their own threads, so a meter that reads the cluster blocks nothing else.
 */
public final class OpsServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService threads;
    private final PrometheusMeterRegistry registry;

    private OpsServer(HttpServer server, ExecutorService threads, PrometheusMeterRegistry registry) {
        this.server = server;
        this.threads = threads;
        this.registry = registry;
    }

    /** A registry with the JVM's meters (memory, GC, threads, CPU), for the process's own to join. */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        return registry;
    }

    /**
     * Starts serving on {@code host:port} (0: a free port).
     *
     * @param notReady why the process cannot work now, or null when it can (called on each {@code /ready})
     * @throws UncheckedIOException with a one-line message when the port is taken
     */
    public static OpsServer start(String host, int port, PrometheusMeterRegistry registry, Supplier<String> notReady) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(host), port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage()
                    + " (choose another --metrics-port, or 0 for a free one)", e);
        }
        ExecutorService threads = Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon().name("ops-http-", 0)
                .factory());
        server.setExecutor(threads);
        server.createContext("/health", ex -> send(ex, 200, "application/json", "{\"status\":\"ok\"}"));
        server.createContext("/ready", ex -> {
            String problem;
            try {
                problem = notReady.get();
            } catch (RuntimeException e) {
                problem = String.valueOf(e.getMessage());
            }
            if (problem == null) send(ex, 200, "application/json", "{\"status\":\"ready\"}");
            else send(ex, 503, "application/json", "{\"error\":\"" + jsonEscape(problem) + "\"}");
        });
        server.createContext("/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape()));
        server.start();
        return new OpsServer(server, threads, registry);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                status = 405;
                type = "application/json";
                body = "{\"error\":\"only GET\"}";
            } else if (!ex.getRequestURI().getPath().equals(ex.getHttpContext().getPath())) {
                status = 404;
                type = "application/json";
                body = "{\"error\":\"not found\"}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    private static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        registry.close();
    }
}
