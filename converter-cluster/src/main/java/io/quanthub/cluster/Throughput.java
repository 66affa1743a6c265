package io.quanthub.cluster;

import java.util.ArrayDeque;

/** Bytes this member produced over the last {@link #WINDOW_NANOS}, as a rate. */
final class Throughput {
    static final long WINDOW_NANOS = 30_000_000_000L;

    private record Sample(long nanos, long bytes) {}

    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private long total;

    synchronized void record(long bytes) {
        samples.addLast(new Sample(System.nanoTime(), bytes));
        total += bytes;
        trim(System.nanoTime());
    }

    /** Bytes per second over the window (0 when nothing was produced in it). */
    synchronized double bytesPerSecond() {
        trim(System.nanoTime());
        return total / (WINDOW_NANOS / 1e9);
    }

    private void trim(long now) {
        while (!samples.isEmpty() && now - samples.peekFirst().nanos() > WINDOW_NANOS) {
            total -= samples.removeFirst().bytes();
        }
    }
}
