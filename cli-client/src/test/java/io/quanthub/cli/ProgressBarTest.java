package io.quanthub.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rendering and redraw pacing of the progress bar, on a clock the test moves by hand. */
class ProgressBarTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final StringWriter text = new StringWriter();

    private ProgressBar bar(boolean interactive) {
        return new ProgressBar(new PrintWriter(text), "convert", 2_000_000_000L, interactive, now::get);
    }

    @Test
    void rendersBarPercentBytesRateEtaAndDetail() {
        ProgressBar bar = bar(true);
        String line = bar.render(500_000_000L, 5_000_000_000L, "tensors 12/345");
        assertEquals("convert [######..................]  25% 477 MiB/1.86 GiB 95.4 MiB/s ETA 0:15  tensors 12/345", line);
        assertEquals("convert   0% 0 B/1.86 GiB 0 B/s", bar(false).render(0, 0, ""));
    }

    @Test
    void countsStepsWithTheirRateAndEta() {
        ProgressBar steps = new ProgressBar(new PrintWriter(text), "preview", 4, true, "steps", now::get);
        assertEquals("preview [######..................]  25% 1/4 steps 0.50 steps/s ETA 0:06  running",
                steps.render(1, 2_000_000_000L, "running"));
    }

    @Test
    void terminalRedrawsInPlaceAtMostTenTimesASecond() {
        ProgressBar bar = bar(true);
        bar.update(1, "a");
        now.addAndGet(50_000_000L);
        bar.update(2, "b");                       // 50 ms later: skipped
        now.addAndGet(60_000_000L);
        bar.update(3, "c");                       // 110 ms after the first drawing: drawn
        bar.finish(2_000_000_000L, "done");
        String out = text.toString();
        assertEquals(3, out.chars().filter(c -> c == '\r').count(), out);
        assertTrue(out.contains(" a") && !out.contains(" b") && out.contains(" c"), out);
        // The final line is padded to cover a longer previous one, then ended.
        assertTrue(out.endsWith(System.lineSeparator()) && out.stripTrailing().endsWith("done"), out);
    }

    @Test
    void plainOutputPrintsALineEveryFiveSeconds() {
        ProgressBar bar = bar(false);
        bar.update(1, "first");                   // a job shorter than 5 s prints no progress at all
        now.addAndGet(4_000_000_000L);
        bar.update(2, "second");
        now.addAndGet(1_000_000_000L);
        bar.update(3, "third");                   // 5 s in: printed
        now.addAndGet(1_000_000_000L);
        bar.update(4, "fourth");                  // 1 s after the last line: skipped
        bar.finish(5, "last");
        String[] lines = text.toString().split(System.lineSeparator());
        assertEquals(2, lines.length, text.toString());
        assertTrue(lines[0].endsWith("third") && lines[1].endsWith("last"), text.toString());
        assertTrue(!text.toString().contains("\r"));
    }

    @Test
    void formatsBytesAndDurations() {
        assertEquals("999 B", ProgressBar.bytes(999));
        assertEquals("1000 B", ProgressBar.bytes(1000));
        assertEquals("1.50 KiB", ProgressBar.bytes(1536));
        assertEquals("11.8 MiB", ProgressBar.bytes(12_345_678));
        assertEquals("115 GiB", ProgressBar.bytes(123_500_000_000L));
        assertEquals("0:07", ProgressBar.duration(7));
        assertEquals("2:05", ProgressBar.duration(125));
        assertEquals("1:00:01", ProgressBar.duration(3601));
    }
}
