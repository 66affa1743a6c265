package io.quanthub.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code quanthub serve --background}: starts the same {@code serve} command line, without {@code --background}, in a
 * new JVM (same java, JVM options and class path) whose output goes to {@code <data>/serve.log}, and returns once that
 * log shows the hub serving. A script can then read {@code <data>/admin-token} on the next line: with {@code serve &}
 * it would have to guess how long the build and the start take.
 */
final class BackgroundServe {
    static final String LOG_FILE = "serve.log";
    static final String PID_FILE = "serve.pid";
    /** A first start on a slow machine (embedded S3, cluster member, demo conversion) takes well under this. */
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(5);

    private BackgroundServe() {
    }

    /**
     * Starts the hub process and waits for a line starting with {@code readyLine} in its output.
     *
     * @param commandLine the arguments {@code quanthub} was given ({@code serve} first, or only serve's own)
     * @return the exit code: 0 once the hub serves, 1 when it stopped first (its last lines go to {@code err})
     */
    /** The live process {@code pidFile} names, if any (a stale file of a stopped hub names none). */
    private static Optional<ProcessHandle> running(Path pidFile) throws IOException {
        if (!Files.exists(pidFile)) return Optional.empty();
        try {
            return ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).filter(ProcessHandle::isAlive);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    static int start(List<String> commandLine, Path data, String readyLine, PrintWriter out, PrintWriter err)
            throws IOException, InterruptedException {
        Files.createDirectories(data);
        Path log = data.resolve(LOG_FILE);
        Path pidFile = data.resolve(PID_FILE);
        Optional<ProcessHandle> running = running(pidFile);
        if (running.isPresent()) {
            // Its log and process id file are in this data folder: a second hub there would overwrite them.
            throw new IllegalStateException("a hub started with --background already runs on " + data + " (process "
                    + running.get().pid() + "); stop it with: kill $(cat " + pidFile + ")");
        }
        List<String> serveArgs = new ArrayList<>(commandLine);
        if (!serveArgs.isEmpty() && serveArgs.getFirst().equals("serve")) serveArgs.removeFirst();
        serveArgs.removeIf(arg -> arg.equals("--background"));

        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        List<String> jvmOptions = ManagementFactory.getRuntimeMXBean().getInputArguments();
        command.addAll(jvmOptions);
        // The launcher leaves the Vector API module (and the JVM's warning about it) to the process that computes.
        if (!String.join(" ", jvmOptions).contains("jdk.incubator.vector")) {
            command.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), QuantHubCli.class.getName(), "serve"));
        command.addAll(serveArgs);
        Process hub = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();

        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        while (true) {
            // The JVM's warning about the Vector API module is the launcher's business, not the hub's output.
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(line -> !line.startsWith("WARNING: Using incubator modules")).toList();
            if (lines.stream().anyMatch(line -> line.startsWith(readyLine))) {
                Files.writeString(pidFile, hub.pid() + "\n");
                lines.forEach(out::println);
                out.println("serving in the background as process " + hub.pid() + " (output in " + log
                        + "); stop it with: kill $(cat " + pidFile + ")");
                out.flush();
                return 0;
            }
            if (!hub.isAlive() || Instant.now().isAfter(deadline)) {
                if (hub.isAlive()) {
                    hub.destroy();
                    err.println("quanthub: the hub did not start within " + READY_TIMEOUT.toMinutes()
                            + " minutes (output in " + log + ")");
                } else {
                    // Its own one-line error ("quanthub: ...") is in the log; show what it printed.
                    lines.forEach(err::println);
                }
                err.flush();
                return 1;
            }
            Thread.sleep(100);
        }
    }
}
