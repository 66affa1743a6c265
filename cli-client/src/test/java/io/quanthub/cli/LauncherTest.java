package io.quanthub.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./quanthub} launcher, run on a copy of itself with a stand-in Maven (which takes a while and prints
 * colour codes, as Maven 3.8 does even with -q -B) and a stand-in JDK (which prints the command line it was given):
 * two commands started at once build once (the second waits for the first's build), Maven's output stays off the
 * terminal, and only commands that compute get the Vector API module, whose JVM warning the others are spared.
 */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("..", "quanthub").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void twoCommandsAtOnceBuildOnceQuietly() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Files.copy(LAUNCHER, repo.resolve("quanthub"));
        executable(repo.resolve("quanthub"));
        Files.createDirectories(repo.resolve("cli-client/src/main/java"));
        Files.writeString(repo.resolve("cli-client/src/main/java/A.java"), "class A {}\n");
        Path builds = dir.resolve("builds");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        script(bin.resolve("mvn"), "echo start >> '" + builds + "'\nprintf '\\033[0m\\033[0m'\nsleep 2\n"
                + "mkdir -p cli-client/target && touch cli-client/target/quanthub-cli.jar\necho end >> '" + builds + "'");
        Path jdk = Files.createDirectories(dir.resolve("jdk/bin"));
        script(jdk.resolve("javac"), "exit 0");
        script(jdk.resolve("java"), "if [[ \"$1\" == -XshowSettings:properties ]]; then "
                + "echo '    java.specification.version = 25' >&2; exit 0; fi\necho \"java $*\"");

        Process first = launch(repo, bin, jdk.getParent(), "convert", "x.safetensors");
        Thread.sleep(500); // the first holds the build lock by now
        Process second = launch(repo, bin, jdk.getParent(), "ls");
        for (Process p : List.of(first, second)) {
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "a hang guard");
            assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes()));
        }
        assertEquals(List.of("start", "end"), Files.readAllLines(builds), "one build");

        String firstOut = new String(first.getInputStream().readAllBytes());
        String secondOut = new String(second.getInputStream().readAllBytes());
        assertTrue(firstOut.contains("--add-modules jdk.incubator.vector") && firstOut.endsWith("convert x.safetensors\n"),
                firstOut);
        assertFalse(secondOut.contains("jdk.incubator.vector"), "ls computes nothing: " + secondOut);
        assertTrue(Files.readString(repo.resolve("target/build.log")).contains("\u001b[0m"), "Maven's output is logged");

        Process again = launch(repo, bin, jdk.getParent(), "serve", "--background");
        assertTrue(again.waitFor(1, TimeUnit.MINUTES));
        String err = new String(again.getErrorStream().readAllBytes());
        assertEquals("", err, "built already: nothing on stderr");
        assertFalse(new String(again.getInputStream().readAllBytes()).contains("jdk.incubator.vector"),
                "serve --background only waits for the hub's process");
    }

    private static Process launch(Path repo, Path bin, Path jdk, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(repo.resolve("quanthub").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(repo.toFile());
        builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        builder.environment().put("JAVA_HOME", jdk.toString());
        builder.environment().remove("JAVA_OPTS");
        Process p = builder.start();
        p.getOutputStream().close();
        return p;
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n");
        executable(file);
    }

    private static void executable(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    }
}
