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

    /**
     * TornadoVM's JVM arguments and jar reach only the commands that use it: {@code --backend tornado}, or an engine
     * command left to pick while a GPU is visible; {@code --backend tornado} without the SDK is one line and exit 1.
     */
    @Test
    void tornadoArgumentsOnlyWhereTornadoRuns() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Files.copy(LAUNCHER, repo.resolve("quanthub"));
        executable(repo.resolve("quanthub"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        script(bin.resolve("mvn"), "mkdir -p cli-client/target && touch cli-client/target/quanthub-cli.jar\n"
                + "if [[ -d .cache/tornadovm/sdk ]]; then mkdir -p inference-tornado/target && "
                + "touch inference-tornado/target/quanthub-inference-tornado.jar; fi");
        Path jdk = Files.createDirectories(dir.resolve("jdk/bin"));
        script(jdk.resolve("javac"), "exit 0");
        script(jdk.resolve("java"), "if [[ \"$1\" == -XshowSettings:properties ]]; then "
                + "echo '    java.specification.version = 25' >&2; exit 0; fi\necho \"java $*\"");
        Path devices = Files.createDirectories(dir.resolve("dev"));

        Process missing = launch(repo, bin, jdk.getParent(), devices, "debug", "flux-forward", "--backend", "tornado:1");
        assertTrue(missing.waitFor(1, TimeUnit.MINUTES));
        assertEquals(1, missing.exitValue());
        String err = new String(missing.getErrorStream().readAllBytes());
        assertEquals("quanthub: --backend tornado:1 needs the TornadoVM SDK: build it with scripts/tornadovm.sh (into "
                + ".cache/tornadovm) or set TORNADOVM_HOME to an installed one\n", err.substring(err.indexOf("quanthub: --")));
        assertFalse(run(repo, bin, jdk, devices, "debug", "flux-forward").contains("argfile"), "no SDK, plain JVM");

        Files.createDirectories(repo.resolve(".cache/tornadovm/sdk"));
        Files.writeString(repo.resolve(".cache/tornadovm/sdk/tornado-argfile"), "-XX:+EnableJVMCI\n");
        Path argfile = Files.writeString(repo.resolve(".cache/tornadovm/argfile"), "-XX:+EnableJVMCI\n");
        String tornado = run(repo, bin, jdk, devices, "debug", "flux-forward", "--backend=tornado");
        assertTrue(tornado.startsWith("java @" + argfile + " "), tornado);
        assertTrue(tornado.contains("inference-tornado/target/quanthub-inference-tornado.jar io.quanthub.cli"), tornado);
        assertTrue(run(repo, bin, jdk, devices, "bench", "flux-steps", "--backend", "tornado:0").contains("@" + argfile));
        assertFalse(run(repo, bin, jdk, devices, "serve").contains("argfile"), "no GPU visible: cpu, plain JVM");
        assertFalse(run(repo, bin, jdk, devices, "preview", "--backend", "tornado").contains("argfile"),
                "preview renders on the hub's nodes");

        Files.createDirectories(devices.resolve("dri"));
        Files.writeString(devices.resolve("dri/renderD128"), "");
        assertTrue(run(repo, bin, jdk, devices, "inference-node").contains("@" + argfile), "a GPU: auto may pick it");
        assertFalse(run(repo, bin, jdk, devices, "serve", "--backend", "cpu").contains("argfile"));
        assertFalse(run(repo, bin, jdk, devices, "ls").contains("argfile"), "ls runs no engine");
    }

    /** The stand-in JDK's command line for {@code args}, which must succeed. */
    private static String run(Path repo, Path bin, Path jdk, Path devices, String... args) throws Exception {
        Process p = launch(repo, bin, jdk.getParent(), devices, args);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), "a hang guard");
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes()));
        return out;
    }

    private static Process launch(Path repo, Path bin, Path jdk, String... args) throws IOException {
        return launch(repo, bin, jdk, null, args);
    }

    private static Process launch(Path repo, Path bin, Path jdk, Path devices, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(repo.resolve("quanthub").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(repo.toFile());
        builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        builder.environment().put("JAVA_HOME", jdk.toString());
        builder.environment().remove("JAVA_OPTS");
        builder.environment().remove("TORNADOVM_HOME");
        if (devices != null) builder.environment().put("QUANTHUB_DEV_DIR", devices.toString());
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
