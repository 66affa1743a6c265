package io.quanthub.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.hub.api.HubJob;
import io.quanthub.hub.api.Preview;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Long-running commands ({@code serve}, {@code inference-node}, {@code converter}) run in-process on threads of their
 * own: what they print is read line by line as they go, to learn their addresses, and a hub's preview is awaited.
 * Shared by the CLI's tests and inference-tornado's (the cli-client test-jar).
 */
final class RunningCommand {
    static final Pattern CLUSTER = Pattern.compile("cluster member at (127\\.0\\.0\\.1:\\d+)");
    static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)");
    static final Pattern NODE = Pattern.compile("inference node at (127\\.0\\.0\\.1:\\d+) joined a cluster "
            + "of 2 members; storage .*");

    private RunningCommand() {
    }

    /** The command's standard output as lines to read while it runs. */
    static BufferedReader pipeOut(CommandLine cli) throws IOException {
        PipedReader pipe = new PipedReader(1 << 16);
        cli.setOut(new PrintWriter(new PipedWriter(pipe), true));
        return new BufferedReader(pipe);
    }

    /** The command's standard error, collected. */
    static StringWriter errTo(CommandLine cli) {
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        return err;
    }

    /** Reads printed lines until one matches; fails (with what went to stderr) if output ends first. */
    static Matcher awaitLine(BufferedReader lines, Pattern pattern, StringWriter err) throws IOException {
        String line;
        while ((line = lines.readLine()) != null) {
            Matcher m = pattern.matcher(line);
            if (m.matches()) return m;
        }
        throw new AssertionError("the command ended without a line matching " + pattern + "; stderr: " + err);
    }

    /** Polls preview {@code id} until it is done; fails if it fails or {@code patience} (a hang guard) runs out. */
    static Preview awaitDone(HubClient hub, String id, Duration patience) throws Exception {
        Instant deadline = Instant.now().plus(patience);
        Preview preview = hub.preview(id);
        while (preview.job().state() != HubJob.State.DONE && Instant.now().isBefore(deadline)) {
            assertNotEquals(HubJob.State.FAILED, preview.job().state(), preview.toString());
            Thread.sleep(200);
            preview = hub.preview(id);
        }
        assertEquals(HubJob.State.DONE, preview.job().state(), preview.toString());
        return preview;
    }
}
