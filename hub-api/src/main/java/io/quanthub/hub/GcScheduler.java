package io.quanthub.hub;

import io.quanthub.storage.GarbageCollector;
import io.quanthub.storage.HubStorage;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Garbage collection in the hub: a run every {@link HubConfig#gcInterval()} (the first one interval after the start;
 * zero: never) with grace {@link HubConfig#gcGrace()}, on a virtual thread, and runs on demand for
 * {@code POST /api/admin/gc}. Every run is logged and counted ({@link HubMetrics}). Runs of several hubs on one
 * bucket, or of the schedule and the admin route at once, are safe (see {@link GarbageCollector}).
 */
final class GcScheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GcScheduler.class.getName());

    private final ScheduledExecutorService timer;

    private GcScheduler(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    static GcScheduler start(HubStorage storage, HubMetrics metrics, Duration interval, Duration grace) {
        if (interval.isZero()) return new GcScheduler(null);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofVirtual().name("quanthub-gc").factory());
        long millis = interval.toMillis();
        timer.scheduleWithFixedDelay(() -> {
            try {
                collect(storage, metrics, grace, false);
            } catch (RuntimeException e) { // the next run tries again; an escaping exception would end the schedule
                LOG.log(System.Logger.Level.WARNING, "garbage collection failed: " + e.getMessage(), e);
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
        return new GcScheduler(timer);
    }

    /** One run (or dry run), logged and counted. Blocks: call it from a worker or virtual thread. */
    static GarbageCollector.Report collect(HubStorage storage, HubMetrics metrics, Duration grace, boolean dryRun) {
        long start = System.nanoTime();
        GarbageCollector.Report report = storage.gc().collect(grace, dryRun);
        if (!dryRun) metrics.collected(report.reclaimedBytes());
        LOG.log(System.Logger.Level.INFO, String.format(java.util.Locale.ROOT,
                "garbage collection%s (grace %s) %s %d bytes in %.1f s: %d blobs, %d unfinished uploads, "
                        + "%d staged objects, %d expired leases%s", dryRun ? " dry run" : "", Durations.format(grace),
                dryRun ? "would reclaim" : "reclaimed", report.reclaimedBytes(), (System.nanoTime() - start) / 1e9,
                report.deletedBlobs().size(), report.abortedUploads(), report.deletedStagedObjects(),
                report.deletedLeases(), report.complete() ? "" : " (stopped at its time limit)"));
        return report;
    }

    /**
     * Stops the schedule. A run in progress gets {@code timeout} to finish (an interrupted run leaves intents that
     * make uploads of its blobs wait), then it is interrupted.
     */
    void close(Duration timeout) {
        if (timer == null) return;
        timer.shutdown();
        try {
            if (!timer.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) timer.shutdownNow();
        } catch (InterruptedException e) {
            timer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
