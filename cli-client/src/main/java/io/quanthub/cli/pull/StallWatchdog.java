package io.quanthub.cli.pull;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Aborts connections that stop delivering bytes. A blocked read on a stalled TCP connection can wait for many
 * minutes; instead each transfer {@link Watch#touch touches} its watch whenever bytes arrive, and a background check
 * closes the connection of any watch not touched for {@code timeout}, which makes the blocked read fail at once.
 * The transfer then sees {@link Watch#stalled()} and retries. {@link #abortAll()} closes every watched connection,
 * for stopping a download as soon as one part has failed for good.
 */
final class StallWatchdog implements AutoCloseable {
    private final long timeoutNanos;
    private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService checker;
    private volatile boolean abortedAll;

    StallWatchdog(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
        this.checker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quanthub-stall-watchdog");
            t.setDaemon(true);
            return t;
        });
        // Checking four times per timeout bounds the detection delay to 1.25 × timeout.
        long period = Math.max(1_000_000L, timeoutNanos / 4);
        checker.scheduleAtFixedRate(this::check, period, period, TimeUnit.NANOSECONDS);
    }

    /** Starts watching a connection; close the returned watch when the transfer ends. */
    Watch watch(Closeable connection) {
        Watch w = new Watch(connection);
        watches.add(w);
        if (abortedAll) w.abort(false); // a transfer that started just after abortAll() stops too
        return w;
    }

    /** Closes every watched connection; their transfers fail with {@link Watch#aborted()} true. */
    void abortAll() {
        abortedAll = true;
        for (Watch w : watches) w.abort(false);
    }

    private void check() {
        long now = System.nanoTime();
        for (Watch w : watches) {
            if (now - w.lastBytesNanos > timeoutNanos) w.abort(true);
        }
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }

    final class Watch implements AutoCloseable {
        private final Closeable connection;
        private volatile long lastBytesNanos = System.nanoTime();
        private volatile boolean stalled;
        private volatile boolean aborted;

        private Watch(Closeable connection) {
            this.connection = connection;
        }

        /** Bytes arrived. */
        void touch() {
            lastBytesNanos = System.nanoTime();
        }

        /** True when the connection was closed because no bytes came for the timeout. */
        boolean stalled() {
            return stalled;
        }

        /** True when the connection was closed by {@link #abortAll()}. */
        boolean aborted() {
            return aborted;
        }

        private void abort(boolean stall) {
            if (stall) stalled = true;
            else aborted = true;
            watches.remove(this);
            try {
                connection.close();
            } catch (IOException ignored) {
                // The connection is being given up either way; the transfer reports the reason.
            }
        }

        @Override
        public void close() {
            watches.remove(this);
        }
    }
}
