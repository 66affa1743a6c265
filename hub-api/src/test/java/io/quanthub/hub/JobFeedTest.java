package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quanthub.hub.api.HubJob;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hub's fan-out of job changes to the streams watching them, on a real Vert.x, fed changes by hand. */
class JobFeedTest {
    /** A hang guard, never a timing assertion. */
    private static final long PATIENCE_SECONDS = 30;

    private final Vertx vertx = Vertx.vertx();
    private final JobFeed feed = new JobFeed(vertx);

    @AfterEach
    void close() {
        vertx.close().await();
    }

    @Test
    void everyWatcherOfAJobGetsEachChangeInOrderMadeOnceAndNobodyWatchesOnceTheyLeave() throws Exception {
        BlockingQueue<HubJob> first = new LinkedBlockingQueue<>();
        BlockingQueue<HubJob> second = new LinkedBlockingQueue<>();
        JobFeed.Watch a = watch("job-1", first);
        JobFeed.Watch b = watch("job-1", second);
        JobFeed.Watch other = watch("job-2", new LinkedBlockingQueue<>());
        AtomicInteger made = new AtomicInteger();

        for (int step = 1; step <= 3; step++) feed.changed(change("job-1", step, made));
        feed.changed(change("job-3", 1, made)); // nobody watches it: never made

        for (BlockingQueue<HubJob> watcher : List.of(first, second)) {
            HubJob last;
            double previous = 0;
            do {
                last = watcher.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
                assertTrue(last != null, "no change arrived");
                assertTrue(last.progress() > previous, "changes in order: " + last.progress() + " after " + previous);
                previous = last.progress();
            } while (last.progress() < 0.3);
        }
        assertTrue(made.get() <= 3, "each change made once for both watchers, at most: " + made.get());

        a.close();
        a.close(); // idempotent
        assertEquals(2, feed.watchedJobs());
        b.close();
        other.close();
        assertEquals(0, feed.watchedJobs(), "a job leaves the feed with its last watcher");
        int before = made.get();
        feed.changed(change("job-1", 4, made));
        assertEquals(before, made.get(), "a change nobody watches is not made");
    }

    /** Watches {@code id} from an event loop, as a request does, collecting the jobs pushed. */
    private JobFeed.Watch watch(String id, BlockingQueue<HubJob> into) throws Exception {
        CompletableFuture<JobFeed.Watch> watch = new CompletableFuture<>();
        vertx.getOrCreateContext().runOnContext(v -> watch.complete(feed.watch(id, (AsyncResult<HubJob> job) -> {
            if (job.succeeded()) into.add(job.result());
        })));
        return watch.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
    }

    /** A change of a running job to {@code step} tenths of its progress, counting how often it is made. */
    private static JobDirectory.Change change(String id, int step, AtomicInteger made) {
        return new JobDirectory.Change(id, () -> {
            made.incrementAndGet();
            Instant at = Instant.ofEpochSecond(step);
            return new HubJob(id, "conversion", HubJob.State.RUNNING, step / 10.0, step, 10, null, null, null,
                    "Q4_0", null, at, at, Map.of());
        });
    }
}
