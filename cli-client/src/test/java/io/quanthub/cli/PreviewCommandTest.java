package io.quanthub.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quanthub.cli.hub.HubClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code quanthub preview}'s failures: one line naming the problem, a non-zero exit and no image written. (Rendering a
 * prompt end to end runs on the demo, in {@link ServeDemoTest}.)
 */
class PreviewCommandTest extends InProcessHubTest {
    @BeforeAll
    static void createModel() throws Exception {
        new HubClient(hub.url().toString(), admin, HubClient.newHttpClient()).createRepo("team/flux", false);
    }

    private static Cli preview(Path out, String model, String... more) {
        String[] args = new String[6 + more.length];
        System.arraycopy(new String[] {"preview", model, "--hub", hub.url().toString(), "--out", out.toString()}, 0,
                args, 0, 6);
        System.arraycopy(more, 0, args, 6, more.length);
        return Cli.run(args);
    }

    private static void assertOneLineFailure(Cli run, Path out, String expected) {
        assertEquals(1, run.exit(), run.err());
        assertEquals("quanthub: " + expected + System.lineSeparator(), run.err());
        assertFalse(Files.exists(out), "no image written");
    }

    @Test
    void anUnknownModelIsOneLine() {
        Path out = dir.resolve("unknown.png");
        Cli run = preview(out, "nobody/nothing:Q8_0", "--prompt", "a cat");
        assertEquals(1, run.exit(), run.err());
        assertTrue(run.err().startsWith("quanthub: ") && run.err().strip().lines().count() == 1, run.err());
        assertTrue(run.err().contains("nobody/nothing"), run.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void settingsTheHubRefusesAreItsOneLineError() {
        Path out = dir.resolve("wide.png");
        assertOneLineFailure(preview(out, "team/flux:Q8_0", "--prompt", "a cat", "--width", "50"), out,
                "width 50 must be a positive multiple of 16 (HTTP 400)");
    }

    @Test
    void aHubThatCannotRenderSaysSo() {
        Path out = dir.resolve("no-cluster.png");
        Cli run = preview(out, "team/flux:Q8_0", "--prompt", "a cat");
        assertEquals(1, run.exit(), run.err());
        assertTrue(run.err().startsWith("quanthub: this hub runs no cluster member, so it cannot render previews"),
                run.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void aPromptIsRequired() {
        Path out = dir.resolve("no-prompt.png");
        Cli run = Cli.run("preview", "team/flux:Q8_0", "--hub", hub.url().toString(), "--out", out.toString());
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().startsWith("Missing required option: '--prompt=TEXT'"), run.err());
        assertFalse(Files.exists(out));
    }
}
