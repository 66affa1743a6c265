package io.quanthub.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quanthub.cli.hub.Sha256;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server on 127.0.0.1 for tests: serves files the way the hub's {@code resolve} endpoint does
 * (docs/hub-api.md: {@code HEAD}/{@code GET}, single {@code Range} → 206 or 416, {@code If-Range},
 * {@code ETag: "<sha256>"}, {@code Accept-Ranges}, {@code X-Repo-Commit}, {@code X-Linked-Size},
 * {@code Content-Length}) and fixed JSON
 * documents at API paths (for any method, optionally a sequence of answers, the last one repeating). Knobs for
 * failure tests: a per-response rate limit, a stall in the middle of one
 * response, a number of 503 answers, and a record of every range served with the bytes actually sent.
 */
public final class RangeFileServer implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
    private static final int CHUNK = 16 << 10;

    /** A file: its bytes, the sha256 the ETag claims, the size HEAD claims, the commit header. */
    public record Resource(byte[] content, String sha256, long declaredSize, String commit) {
    }

    /** One GET: the path, the range asked for (inclusive), and how many bytes went out before it ended. */
    public record Served(String path, long start, long end, long bytesSent) {
    }

    /** Any request: method, path with query, Authorization header and JSON body (null when none). */
    public record Request(String method, String pathAndQuery, String authorization, String json) {
    }

    /** A JSON answer: status and body. */
    public record Answer(int status, String body) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "range-file-server");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Resource> files = new ConcurrentHashMap<>();
    private final Map<String, List<Answer>> answers = new ConcurrentHashMap<>();
    private final List<Served> served = new CopyOnWriteArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<String> ifRanges = new CopyOnWriteArrayList<>();
    private final Map<String, Long> stallAt = new ConcurrentHashMap<>();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile long bytesPerSecond;
    private volatile int failuresLeft;
    private final AtomicInteger active = new AtomicInteger();

    private RangeFileServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public static RangeFileServer start() throws IOException {
        return new RangeFileServer();
    }

    public String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public URI uri(String path) {
        return URI.create(base() + path);
    }

    /** Serves {@code content} at {@code path} with its true sha256 and size. */
    public void file(String path, byte[] content, String commit) {
        files.put(path, new Resource(content, Sha256.hex(content), content.length, commit));
    }

    public void file(String path, Resource resource) {
        files.put(path, resource);
    }

    /** Answers GET {@code pathAndQuery} (query included when given) with a JSON body. */
    public void json(String pathAndQuery, int status, String body) {
        answers("GET", pathAndQuery, new Answer(status, body));
    }

    /** Answers {@code method pathAndQuery} with these answers in turn; the last one repeats. */
    public void answers(String method, String pathAndQuery, Answer... inTurn) {
        answers.put(method + " " + pathAndQuery, new CopyOnWriteArrayList<>(List.of(inTurn)));
    }

    public void json(String pathAndQuery, String body) {
        json(pathAndQuery, 200, body);
    }

    /** Limits each response to about this many bytes per second; 0 for no limit. */
    public void throttle(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    /** The next GET of {@code path} whose range starts at {@code rangeStart} sends half its bytes, then hangs. */
    public void stallOnce(String path, long rangeStart) {
        stallAt.put(path, rangeStart);
    }

    /** The next {@code n} file requests are answered 503. */
    public void failNext(int n) {
        failuresLeft = n;
    }

    public List<Served> served() {
        return new ArrayList<>(served);
    }

    public List<Request> requests() {
        return new ArrayList<>(requests);
    }

    /** The {@code If-Range} header of every ranged GET of a file, in order ("" when it had none). */
    public List<String> ifRanges() {
        return new ArrayList<>(ifRanges);
    }

    public long bytesSent(String path) {
        return served.stream().filter(s -> s.path().equals(path)).mapToLong(Served::bytesSent).sum();
    }

    /** Forgets what was served so far; call {@link #awaitIdle} first if responses may still be running. */
    public void resetCounts() {
        served.clear();
        requests.clear();
        ifRanges.clear();
    }

    /**
     * Waits until no response is being sent, e.g. after killing a client: its connections' handlers notice the
     * closed socket at their next write and record what they sent.
     */
    public void awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (active.get() > 0) {
            if (System.nanoTime() > deadline) throw new IllegalStateException(active.get() + " responses still running");
            Thread.sleep(10);
        }
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        active.incrementAndGet();
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String query = exchange.getRequestURI().getRawQuery();
            String method = exchange.getRequestMethod();
            String json = null;
            if (!method.equals("GET") && !method.equals("HEAD")) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                String type = exchange.getRequestHeaders().getFirst("Content-Type");
                if (type != null && type.startsWith("application/json")) json = new String(body, StandardCharsets.UTF_8);
            }
            requests.add(new Request(method, query == null ? path : path + "?" + query,
                    exchange.getRequestHeaders().getFirst("Authorization"), json));
            Answer answer = nextAnswer(method + " " + (query == null ? path : path + "?" + query));
            if (answer == null) answer = nextAnswer(method + " " + path);
            if (answer != null) {
                sendJson(exchange, answer.status(), answer.body());
                return;
            }
            Resource file = files.get(path);
            if (file == null) {
                sendJson(exchange, 404, "{\"error\": \"no file at " + path + "\"}");
                return;
            }
            synchronized (this) {
                if (failuresLeft > 0) {
                    failuresLeft--;
                    sendJson(exchange, 503, "{\"error\": \"storage unavailable (test)\"}");
                    return;
                }
            }
            serveFile(exchange, path, file);
        } finally {
            active.decrementAndGet();
        }
    }

    private void serveFile(HttpExchange exchange, String path, Resource file) throws IOException {
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            sendJson(exchange, 405, "{\"error\": \"method " + method + " not allowed\"}");
            return;
        }
        long size = file.content().length;
        var h = exchange.getResponseHeaders();
        h.set("Accept-Ranges", "bytes");
        h.set("ETag", "\"" + file.sha256() + "\"");
        h.set("X-Linked-Size", Long.toString(file.declaredSize()));
        if (file.commit() != null) h.set("X-Repo-Commit", file.commit());
        h.set("Content-Type", "application/octet-stream");
        if (method.equals("HEAD")) {
            h.set("Content-Length", Long.toString(file.declaredSize()));
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        long start = 0;
        long end = size - 1;
        int status = 200;
        String range = exchange.getRequestHeaders().getFirst("Range");
        String ifRange = exchange.getRequestHeaders().getFirst("If-Range");
        if (range != null) ifRanges.add(ifRange == null ? "" : ifRange);
        if (ifRange != null && !ifRange.strip().equals("\"" + file.sha256() + "\"")) range = null; // as the hub does
        Matcher m = range == null ? null : RANGE.matcher(range.strip());
        if (m != null && m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
            if (m.group(1).isEmpty()) { // bytes=-n: the last n bytes
                start = Math.max(0, size - Long.parseLong(m.group(2)));
            } else {
                start = Long.parseLong(m.group(1));
                if (!m.group(2).isEmpty()) end = Math.min(end, Long.parseLong(m.group(2)));
            }
            if (start >= size || start > end) {
                h.set("Content-Range", "bytes */" + size);
                exchange.sendResponseHeaders(416, -1);
                return;
            }
            status = 206;
            h.set("Content-Range", "bytes " + start + "-" + end + "/" + size);
        }
        long length = end - start + 1;
        boolean stall = stallAt.remove(path, start);
        exchange.sendResponseHeaders(status, length);
        long sent = 0;
        long began = System.nanoTime();
        OutputStream out = exchange.getResponseBody();
        try {
            while (sent < length) {
                if (stall && sent >= length / 2) {
                    out.flush();
                    served.add(new Served(path, start, end, sent));
                    active.decrementAndGet(); // a hung response does not keep the server busy for awaitIdle
                    try {
                        released.await(60, TimeUnit.SECONDS); // hang until the test ends; the client gives up first
                    } finally {
                        active.incrementAndGet();
                    }
                    return;
                }
                int n = (int) Math.min(CHUNK, length - sent);
                out.write(file.content(), (int) (start + sent), n);
                sent += n;
                long rate = bytesPerSecond;
                if (rate > 0 && sent < length) {
                    long dueNanos = sent * 1_000_000_000L / rate;
                    long aheadNanos = dueNanos - (System.nanoTime() - began);
                    if (aheadNanos > 0) Thread.sleep(aheadNanos / 1_000_000, (int) (aheadNanos % 1_000_000));
                }
            }
        } catch (IOException | InterruptedException clientGone) {
            // The client closed the connection (a stall abort, a killed process): record what was sent.
        }
        served.add(new Served(path, start, end, sent));
    }

    private Answer nextAnswer(String key) {
        List<Answer> inTurn = answers.get(key);
        if (inTurn == null) return null;
        synchronized (inTurn) {
            return inTurn.size() > 1 ? inTurn.removeFirst() : inTurn.getFirst();
        }
    }

    private static void sendJson(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
