package io.quanthub.hub.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Headless Debian Chromium driven through chromedriver with the W3C WebDriver protocol, spoken directly over
 * {@link HttpClient} (no Selenium): enough to load pages, find elements by CSS selector, read text, click, type, run
 * a script and take screenshots.
 *
 * <p>Needs {@code /usr/bin/chromium} and {@code chromedriver} (Debian packages {@code chromium} and
 * {@code chromium-driver}). When they are missing the test fails under CI ({@code CI=true}) and is skipped elsewhere.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    /** The W3C element reference key in WebDriver JSON. */
    private static final String ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";
    /** How long {@link #waitFor} waits for the page to reach a state (pages render after their fetches). */
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process driver;
    private final Path profile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI session;

    /** A WebDriver element reference. */
    record Element(String id) {
    }

    private Browser(Process driver, URI base, Path profile) throws IOException {
        this.driver = driver;
        this.profile = profile;
        Map<String, Object> chromeOptions = Map.of(
                "binary", CHROMIUM.toString(),
                "args", List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile, "--window-size=1440,1000"));
        Map<String, Object> capabilities = Map.of("alwaysMatch",
                Map.of("browserName", "chrome", "goog:chromeOptions", chromeOptions));
        Map<String, Object> created = asMap(call("POST", base.resolve("/session"), Map.of("capabilities", capabilities)));
        this.session = base.resolve("/session/" + created.get("sessionId"));
    }

    /** Starts chromedriver on a free loopback port and opens a browser session; skips or fails when not installed. */
    static Browser start(Path workDir) throws IOException, InterruptedException {
        Path chromedriver = findChromedriver();
        String missing = !Files.isExecutable(CHROMIUM) ? CHROMIUM + " is missing"
                : chromedriver == null ? "chromedriver is missing" : null;
        if (missing != null) {
            String message = missing + ": install the Debian packages chromium and chromium-driver";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new IllegalStateException(message);
            Assumptions.abort(message + " (browser test skipped outside CI)");
        }
        Files.createDirectories(workDir);
        int port = freePort();
        Process process = new ProcessBuilder(chromedriver.toString(), "--port=" + port, "--allowed-ips=127.0.0.1")
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("chromedriver.log").toFile())
                .start();
        Path profile = Files.createTempDirectory(workDir, "chromium-profile");
        try {
            URI base = URI.create("http://127.0.0.1:" + port);
            awaitReady(process, base);
            return new Browser(process, base, profile);
        } catch (IOException | InterruptedException | RuntimeException e) {
            process.destroy();
            deleteTree(profile);
            throw e;
        }
    }

    private static Path findChromedriver() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "chromedriver");
            if (Files.isExecutable(p)) return p;
        }
        Path debian = Path.of("/usr/bin/chromedriver");
        return Files.isExecutable(debian) ? debian : null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void awaitReady(Process process, URI base) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) throw new IOException("chromedriver exited with status " + process.exitValue());
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/status")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && Boolean.TRUE.equals(asMap(asMap(parse(r.body())).get("value")).get("ready"))) {
                    return;
                }
            } catch (ConnectException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        throw new IOException("chromedriver did not become ready within " + WAIT.toSeconds() + " s");
    }

    // ---- commands ----------------------------------------------------------------------------------------------

    void open(String url) {
        command("POST", "url", Map.of("url", url));
    }

    void setWindowSize(int width, int height) {
        command("POST", "window/rect", Map.of("width", width, "height", height));
    }

    /** The first element matching a CSS selector, or null. */
    Element find(String css) {
        List<Element> all = findAll(css);
        return all.isEmpty() ? null : all.getFirst();
    }

    List<Element> findAll(String css) {
        Object value = command("POST", "elements", Map.of("using", "css selector", "value", css));
        List<Element> elements = new ArrayList<>();
        for (Object o : (List<?>) value) elements.add(new Element((String) asMap(o).get(ELEMENT_KEY)));
        return elements;
    }

    /** The rendered (visible) text of an element. */
    String text(Element e) {
        return (String) command("GET", "element/" + e.id() + "/text", null);
    }

    String attribute(Element e, String name) {
        return (String) command("GET", "element/" + e.id() + "/attribute/" + name, null);
    }

    void click(Element e) {
        command("POST", "element/" + e.id() + "/click", Map.of());
    }

    void clear(Element e) {
        command("POST", "element/" + e.id() + "/clear", Map.of());
    }

    void type(Element e, String text) {
        command("POST", "element/" + e.id() + "/value", Map.of("text", text));
    }

    /** Runs a script in the page ({@code return ...;}) and gives its JSON result. */
    Object script(String script, Object... args) {
        return command("POST", "execute/sync", Map.of("script", script, "args", List.of(args)));
    }

    /** Runs an asynchronous script: it receives a callback as its last argument and passes the result to it. */
    Object asyncScript(String script, Object... args) {
        return command("POST", "execute/async", Map.of("script", script, "args", List.of(args)));
    }

    /** Grants the page a permission ({@code clipboard-read}), through the W3C Permissions extension. */
    void grantPermission(String name) {
        command("POST", "permissions", Map.of("descriptor", Map.of("name", name), "state", "granted"));
    }

    /**
     * Polls until {@code probe} gives a non-null value; fails naming {@code what} and the last state seen. Pages fill
     * in after their API calls, so every check of rendered content goes through here.
     */
    <T> T waitFor(String what, Supplier<T> probe) {
        Instant deadline = Instant.now().plus(WAIT);
        RuntimeException last = null;
        while (true) {
            try {
                T value = probe.get();
                if (value != null) return value;
                last = null;
            } catch (WebDriverException e) {
                last = e;  // e.g. a stale element while the page re-renders
            }
            if (Instant.now().isAfter(deadline)) {
                String body = (String) script("return document.querySelector('main')?.innerText ?? '';");
                throw new AssertionError("timed out waiting for " + what + "; the page shows:\n" + body, last);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }

    /** The first element matching {@code css} once it exists. */
    Element await(String css) {
        return waitFor("an element matching " + css, () -> find(css));
    }

    /** Saves a screenshot of the page, {@code width} wide and up to {@code maxHeight} high (the window is resized). */
    Path screenshot(Path file, int width, int maxHeight) throws IOException {
        setWindowSize(width, 600);
        script("window.scrollTo(0, 0);");
        // The window size includes the browser's frame: add it so the viewport gets the page's height.
        long height = ((Number) script("return Math.ceil(document.documentElement.scrollHeight"
                + " + window.outerHeight - window.innerHeight);")).longValue();
        setWindowSize(width, (int) Math.clamp(height, 600, maxHeight));
        byte[] png = Base64.getDecoder().decode((String) command("GET", "screenshot", null));
        Files.createDirectories(file.getParent());
        Files.write(file, png);
        return file;
    }

    // ---- protocol ----------------------------------------------------------------------------------------------

    /** A WebDriver error response: its error code and message. */
    static final class WebDriverException extends RuntimeException {
        WebDriverException(String message) {
            super(message);
        }
    }

    private Object command(String method, String path, Object body) {
        return call(method, URI.create(session + "/" + path), body);
    }

    private Object call(String method, URI uri, Object body) {
        HttpRequest.BodyPublisher publisher;
        try {
            publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write a WebDriver command as JSON", e);
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json; charset=utf-8")
                .method(method, publisher).build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("WebDriver " + method + " " + uri + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during WebDriver " + method + " " + uri, e);
        }
        Object value = asMap(parse(response.body())).get("value");
        if (response.statusCode() != 200) {
            Map<String, Object> error = asMap(value);
            throw new WebDriverException(method + " " + uri.getPath() + ": " + error.get("error") + ": "
                    + String.valueOf(error.get("message")).lines().findFirst().orElse(""));
        }
        return value;
    }

    private static Object parse(String json) {
        try {
            return JSON.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            throw new WebDriverException("chromedriver answered something that is not JSON: " + e.getOriginalMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : new LinkedHashMap<>();
    }

    @Override
    public void close() throws IOException {
        try {
            call("DELETE", session, null);
        } catch (RuntimeException e) {
            // The browser is gone already; stopping chromedriver below is what matters.
        } finally {
            driver.destroy();
            try {
                if (!driver.waitFor(10, TimeUnit.SECONDS)) driver.destroyForcibly();
            } catch (InterruptedException e) {
                driver.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
