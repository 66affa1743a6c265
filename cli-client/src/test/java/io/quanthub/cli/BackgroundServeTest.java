package io.quanthub.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quanthub serve --background}: returns once the hub serves, leaving it running in its own process with its
 * process id in {@code <data>/serve.pid}; a second one on the same data folder, and a hub that cannot start, are
 * one-line errors.
 */
class BackgroundServeTest {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)");

    @TempDir
    Path dir;

    @Test
    void returnsOnceTheHubServesAndRefusesASecondOnTheSameData() throws Exception {
        Path data = dir.resolve("data");
        Cli started = Cli.run("serve", "--background", "--port", "0", "--cluster-port", "0", "--data", data.toString());
        ProcessHandle hub = null;
        try {
            assertEquals(0, started.exit(), started.err());
            hub = ProcessHandle.of(Long.parseLong(Files.readString(data.resolve(BackgroundServe.PID_FILE)).strip()))
                    .orElseThrow();
            assertTrue(hub.isAlive());
            Matcher listening = LISTENING.matcher(started.out());
            assertTrue(listening.find(), started.out());
            assertTrue(started.out().contains("serving in the background as process " + hub.pid()), started.out());
            assertTrue(Files.exists(data.resolve("admin-token")), "ready to log in with");
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(listening.group(1) + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());

            Cli second = Cli.run("serve", "--background", "--port", "0", "--cluster-port", "0", "--data",
                    data.toString());
            assertEquals(1, second.exit());
            assertEquals("quanthub: a hub started with --background already runs on " + data + " (process "
                    + hub.pid() + "); stop it with: kill $(cat " + data.resolve(BackgroundServe.PID_FILE) + ")\n",
                    second.err());
            assertTrue(hub.isAlive(), "the first one runs on");
        } finally {
            if (hub != null) {
                hub.destroy(); // SIGTERM: a graceful stop, as `kill` does
                hub.onExit().get(60, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aHubThatCannotStartIsAnErrorWithItsOwnLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Path data = dir.resolve("other");
            Cli failed = Cli.run("serve", "--background", "--port", Integer.toString(taken.getLocalPort()),
                    "--cluster-port", "0", "--data", data.toString());
            assertEquals(1, failed.exit());
            assertTrue(failed.err().lines().anyMatch(l -> l.startsWith("quanthub: cannot start the hub on 127.0.0.1:"
                    + taken.getLocalPort())), failed.err());
            assertTrue(failed.err().lines().noneMatch(l -> l.startsWith("\tat ")), "no stack trace: " + failed.err());
            assertTrue(!Files.exists(data.resolve(BackgroundServe.PID_FILE)), "no process to stop");
        }
    }
}
