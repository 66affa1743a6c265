package io.quanthub.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a long byte-counted job (a conversion, a download) on stderr.
 *
 * <p>On a terminal it redraws one line in place with {@code \r}, at most {@link #REDRAW_NANOS 10 times a second}:
 * a bar, percentage, bytes done/total, throughput, ETA and a caller-supplied detail such as "tensors 12/345".
 * Otherwise (output redirected to a file or a CI log) it prints a plain line every {@link #PLAIN_NANOS 5 seconds},
 * so logs stay readable. Callers report progress from any thread; updates are cheap when nothing is drawn.
 */
public final class ProgressBar {
    static final long REDRAW_NANOS = 100_000_000L;
    static final long PLAIN_NANOS = 5_000_000_000L;
    private static final int BAR_WIDTH = 24;

    private final PrintWriter out;
    private final String label;
    private final long totalBytes;
    private final boolean interactive;
    /** What is counted: null for bytes (sizes in binary units), else a unit name such as {@code steps}. */
    private final String unit;
    private final LongSupplier nanoClock;
    private final long startNanos;
    private long lastDrawNanos;
    private int lastLineLength;
    private boolean drawnOnce;

    /**
     * @param interactive true to redraw a bar in place (a terminal), false for periodic plain lines
     */
    public ProgressBar(PrintWriter out, String label, long totalBytes, boolean interactive) {
        this(out, label, totalBytes, interactive, null, System::nanoTime);
    }

    /** Counting {@code unit}s (a sampler's {@code steps}) instead of bytes. */
    public static ProgressBar counting(PrintWriter out, String label, long total, String unit, boolean interactive) {
        return new ProgressBar(out, label, total, interactive, unit, System::nanoTime);
    }

    /** With an explicit clock, for tests. */
    ProgressBar(PrintWriter out, String label, long totalBytes, boolean interactive, LongSupplier nanoClock) {
        this(out, label, totalBytes, interactive, null, nanoClock);
    }

    ProgressBar(PrintWriter out, String label, long totalBytes, boolean interactive, String unit,
                LongSupplier nanoClock) {
        this.out = out;
        this.label = label;
        this.totalBytes = totalBytes;
        this.interactive = interactive;
        this.unit = unit;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
    }

    /**
     * True when the process runs on a terminal. Since JDK 22 {@code System.console()} is non-null even when output is
     * redirected, so {@link java.io.Console#isTerminal()} decides.
     */
    public static boolean interactiveByDefault() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** Reports progress; draws when enough time has passed since the last drawing. */
    public synchronized void update(long doneBytes, String detail) {
        long now = nanoClock.getAsLong();
        long interval = interactive ? REDRAW_NANOS : PLAIN_NANOS;
        if (drawnOnce && now - lastDrawNanos < interval) return;
        // The first plain line waits one interval too: short jobs print nothing but their summary.
        if (!interactive && !drawnOnce && now - startNanos < interval) return;
        draw(now, doneBytes, detail);
    }

    /** Draws the final state and ends the line; call once when the job is done. */
    public synchronized void finish(long doneBytes, String detail) {
        if (interactive) {
            draw(nanoClock.getAsLong(), doneBytes, detail);
            out.println();
        } else if (drawnOnce) {
            draw(nanoClock.getAsLong(), doneBytes, detail);
        }
        out.flush();
    }

    /** Ends an interactive line early (on failure), so that an error message starts on its own line. */
    public synchronized void abandon() {
        if (interactive && drawnOnce) out.println();
        out.flush();
    }

    private void draw(long now, long doneBytes, String detail) {
        String line = render(doneBytes, now - startNanos, detail);
        if (interactive) {
            // Pad with spaces so a shorter line fully covers the previous one.
            int pad = Math.max(0, lastLineLength - line.length());
            out.print("\r" + line + " ".repeat(pad));
            lastLineLength = line.length();
        } else {
            out.println(line);
        }
        out.flush();
        lastDrawNanos = now;
        drawnOnce = true;
    }

    /** One progress line, e.g. {@code convert [#####.....] 45% 1.2/2.7 GB 95.3 MB/s ETA 0:16 tensors 12/345}. */
    String render(long doneBytes, long elapsedNanos, String detail) {
        double fraction = totalBytes > 0 ? Math.min(1.0, (double) doneBytes / totalBytes) : 1.0;
        double seconds = elapsedNanos / 1e9;
        double bytesPerSecond = seconds > 0 ? doneBytes / seconds : 0;
        StringBuilder s = new StringBuilder(label).append(' ');
        if (interactive) {
            int filled = (int) Math.round(fraction * BAR_WIDTH);
            s.append('[').append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ");
        }
        if (unit == null) {
            s.append(String.format(Locale.ROOT, "%3d%% %s/%s %s/s", (int) (fraction * 100),
                    bytes(doneBytes), bytes(totalBytes), bytes((long) bytesPerSecond)));
        } else {
            s.append(String.format(Locale.ROOT, "%3d%% %d/%d %s %.2f %s/s", (int) (fraction * 100), doneBytes,
                    totalBytes, unit, bytesPerSecond, unit));
        }
        if (doneBytes > 0 && doneBytes < totalBytes && bytesPerSecond > 0) {
            s.append(" ETA ").append(duration((long) ((totalBytes - doneBytes) / bytesPerSecond)));
        }
        if (detail != null && !detail.isEmpty()) s.append("  ").append(detail);
        return s.toString();
    }

    /**
     * A byte count in binary units, as the web catalog writes it: 512 B, 1.50 KiB, 12.3 MiB, 124 GiB. Binary like GPU
     * memory (a card sold as "8 GB" has 8 GiB), so sizes compare directly with the VRAM columns.
     */
    public static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }

    /** Whole seconds as m:ss, or h:mm:ss from an hour on. */
    public static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
