package io.quanthub.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first session, pasted as it is into a fresh folder: every command succeeds with nothing waited for by
 * hand, prints what the README says it shows, writes nothing on stderr but progress and one-line notes (no stack
 * traces, no colour codes), and leaves only what {@code .gitignore} covers. {@code ./quanthub} there runs this
 * build's classes with the launcher's JVM options (building is the launcher's part, not this test's), and the hub's
 * port is a free one instead of 8080, which another hub on this machine may hold.
 */
class ReadmeFirstSessionTest {
    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern FIRST_SESSION = Pattern.compile("A first session.*?:\\n\\n```sh\\n(.*?)```",
            Pattern.DOTALL);

    @TempDir
    Path dir;

    @Test
    void theFirstSessionRunsAsPasted() throws Exception {
        Matcher block = FIRST_SESSION.matcher(Files.readString(REPOSITORY.resolve("README.md")));
        assertTrue(block.find(), "README.md has no first-session block");
        int port = freePort();
        String commands = block.group(1).replace("127.0.0.1:8080", "127.0.0.1:" + port)
                .replace("./quanthub serve --background", "./quanthub serve --background --port " + port
                        + " --cluster-port 0");
        assertTrue(commands.contains("serve --background --port " + port), commands);

        Path checkout = Files.createDirectories(dir.resolve("checkout"));
        Path home = Files.createDirectories(dir.resolve("home"));
        writeLauncher(checkout.resolve("quanthub"));
        ProcessBuilder shell = new ProcessBuilder("bash", "-euo", "pipefail", "-c", commands + "\nexit 0\n")
                .directory(checkout.toFile())
                .redirectOutput(dir.resolve("stdout").toFile())
                .redirectError(dir.resolve("stderr").toFile());
        Map<String, String> env = shell.environment();
        env.keySet().removeIf(k -> k.startsWith("QUANTHUB_") || k.startsWith("XDG_"));
        env.put("HOME", home.toString());
        Process session = shell.start();
        String out;
        String err;
        try {
            assertTrue(session.waitFor(4, TimeUnit.MINUTES), "the session hung"); // a hang guard, not a timing check
            out = Files.readString(dir.resolve("stdout"));
            err = Files.readString(dir.resolve("stderr"));
            assertEquals(0, session.exitValue(), "stdout:\n" + out + "\nstderr:\n" + err);
        } finally {
            session.destroyForcibly();
            stopHub(checkout.resolve("data").resolve(BackgroundServe.PID_FILE));
        }

        assertTrue(out.contains("listening on http://127.0.0.1:" + port), out);
        assertTrue(out.contains("logged in to http://127.0.0.1:" + port), out);
        assertTrue(Files.isRegularFile(home.resolve(".config/quanthub/config.json")), "login honours $HOME");
        assertTrue(out.contains("wrote tiny/flux-demo.safetensors"), out);
        assertTrue(Files.size(checkout.resolve("models/flux-demo-Q4_K_M.gguf")) > 0);
        assertTrue(out.lines().anyMatch(l -> l.matches("  Q4_K_M \\* +pushed .* flux-demo-Q4_K_M\\.gguf")),
                "info lists the levels:\n" + out);
        assertTrue(Files.size(checkout.resolve("models/flux-tiny-Q8_0.gguf")) > 0, "the hub converted Q8_0");
        assertTrue(out.lines().anyMatch(l -> l.matches("  flux-tiny-Q8_0\\.gguf .* produced by the hub "
                + "\\(pull demo/flux-tiny:Q8_0\\)")), "ls lists the level the hub made:\n" + out);

        assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack traces:\n" + err);
        assertFalse(err.contains("\u001b["), "no terminal escapes:\n" + err);
        assertFalse(err.lines().anyMatch(l -> l.startsWith("quanthub: ")), "no errors:\n" + err);

        List<String> ignored = Files.readAllLines(REPOSITORY.resolve(".gitignore"));
        List<String> made = new ArrayList<>();
        try (Stream<Path> entries = Files.list(checkout)) {
            entries.map(p -> p.getFileName().toString()).filter(name -> !name.equals("quanthub")).forEach(made::add);
        }
        for (String name : made) {
            assertTrue(ignored.contains("/" + name + "/") || ignored.contains(name + "/")
                    || ignored.contains("/" + name) || ignored.contains(name), ".gitignore lacks " + name);
        }
    }

    /** {@code ./quanthub}: this build's classes with the JVM options the real launcher passes. */
    private static void writeLauncher(Path file) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String script = "#!/usr/bin/env bash\nexec '" + java + "' --enable-native-access=ALL-UNNAMED "
                + "--sun-misc-unsafe-memory-access=allow --add-modules jdk.incubator.vector "
                + "--add-exports java.base/jdk.internal.ref=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED "
                + "--add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.management/sun.management=ALL-UNNAMED "
                + "--add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED -cp '"
                + System.getProperty("java.class.path") + "' " + QuantHubCli.class.getName() + " \"$@\" "
                // The JVM's warning about the incubator module: the real launcher adds it only where it is needed.
                + "2> >(grep -v '^WARNING: Using incubator modules' >&2)\n";
        Files.writeString(file, script);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    }

    private static void stopHub(Path pidFile) throws IOException, InterruptedException {
        if (!Files.exists(pidFile)) return;
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        var hub = ProcessHandle.of(pid);
        if (hub.isEmpty()) return;
        hub.get().destroy();
        try {
            hub.get().onExit().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            hub.get().destroyForcibly();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
