package io.quanthub.cli;

import io.quanthub.cli.hub.SavedLogin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where {@code quanthub login} saves, run as a separate process with a chosen environment: under {@code $HOME} (not
 * Java's {@code user.home}, which comes from the password database and can differ), or {@code $XDG_CONFIG_HOME}.
 */
class LoginConfigPathTest {
    @TempDir
    Path dir;

    private RangeFileServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = RangeFileServer.start();
        server.json("/api/models", "[]");
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    /** Runs {@code quanthub ARGS} in a new JVM whose {@code user.home} is {@code javaHome} and env is {@code env}. */
    private Process run(Path javaHome, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Duser.home=" + javaHome,
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), QuantHubCli.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("XDG_CONFIG_HOME");
        builder.environment().remove("QUANTHUB_HUB");
        builder.environment().remove("QUANTHUB_TOKEN");
        builder.environment().putAll(env);
        Process process = builder.start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "quanthub did not finish");
        return process;
    }

    private static String output(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void loginSavesUnderHomeAndLaterCommandsFindIt() throws Exception {
        Path home = dir.resolve("home");
        Path javaHome = dir.resolve("java-home");
        Process login = run(javaHome, Map.of("HOME", home.toString()), "login", "--hub", server.base(),
                "--token", "secret-1");
        assertEquals(0, login.exitValue(), output(login));
        Path saved = home.resolve(".config/quanthub/config.json");
        assertEquals(Optional.of(new SavedLogin(server.base(), "secret-1")), SavedLogin.read(saved));
        assertFalse(Files.exists(javaHome), "nothing under Java's user.home");

        Process ls = run(javaHome, Map.of("HOME", home.toString()), "ls");
        assertEquals(0, ls.exitValue(), output(ls));
    }

    @Test
    void xdgConfigHomeWinsOverHome() throws Exception {
        Path home = dir.resolve("home");
        Path xdg = dir.resolve("xdg");
        Process login = run(dir.resolve("java-home"), Map.of("HOME", home.toString(), "XDG_CONFIG_HOME",
                xdg.toString()), "login", "--hub", server.base(), "--token", "secret-2");
        assertEquals(0, login.exitValue(), output(login));
        assertEquals("secret-2", SavedLogin.read(xdg.resolve("quanthub/config.json")).orElseThrow().token());
        assertFalse(Files.exists(home));
    }

    @Test
    void aConfigSavedUnderJavasUserHomeByAnOlderLoginIsStillRead() throws Exception {
        Path home = dir.resolve("home");
        Path javaHome = dir.resolve("java-home");
        new SavedLogin(server.base(), "old-secret").write(javaHome.resolve(".config/quanthub/config.json"));
        Process ls = run(javaHome, Map.of("HOME", home.toString()), "ls");
        assertEquals(0, ls.exitValue(), output(ls));
        assertEquals("Bearer old-secret", server.requests().getLast().authorization());
    }
}
