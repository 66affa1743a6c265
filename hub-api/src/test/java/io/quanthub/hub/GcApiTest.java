package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.StorageException;
import io.quanthub.storage.StorageOptions;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** {@code POST /api/admin/gc}: who may run it, dry runs, the metric, and collection racing real pushes. */
class GcApiTest extends HubTestSupport {
    private static final int PUSHERS = 3;
    private static final int PUSHES_EACH = 12;

    private static Response gc(String query, String token) {
        return send("POST", "/api/admin/gc" + query, java.net.http.HttpRequest.BodyPublishers.noBody(), token);
    }

    /** A storage client whose uploads hold their lease for a millisecond: what it uploads is garbage at once. */
    private static HubStorage garbageMaker() {
        return HubStorage.open(bucket, StorageOptions.defaults().withPartSize(PART).withLeaseTtl(Duration.ofMillis(1)));
    }

    @Test
    void onlyAdminsCollectAndBadParametersAreRefused() {
        assertTrue(gc("", null).error(401).contains("admin scope"));
        String reader = postJson("/api/tokens", Map.of("name", "gc-reader", "scopes", List.of("read", "write")),
                admin).json().get("token").asText();
        assertTrue(gc("", reader).error(403).contains("admin scope"));
        assertEquals("grace: '1 fortnight' is not a duration (expected e.g. 90s, 30m, 24h, 7d or PT24H)",
                gc("?grace=1%20fortnight", admin).error(400));
        assertEquals("grace: '-PT1H' is not a duration (it is negative)", gc("?grace=-PT1H", admin).error(400));
        assertEquals("dryRun must be true or false, not 'yes'", gc("?dryRun=yes", admin).error(400));
    }

    @Test
    void aDryRunDeletesNothingAndARunIsCounted() throws Exception {
        byte[] garbage = randomBytes(404, 3000);
        try (HubStorage maker = garbageMaker()) {
            maker.blobs().put(new ByteArrayInputStream(garbage), garbage.length);
        }
        Thread.sleep(5); // the lease has ended
        List<String> before = objectKeys();
        JsonNode dry = gc("?dryRun=true&grace=0", admin).json();
        assertTrue(dry.get("dryRun").asBoolean());
        assertEquals("0s", dry.get("grace").asText());
        assertTrue(dry.get("deletedBlobs").asInt() >= 1, dry.toString());
        assertTrue(dry.get("reclaimedBytes").asLong() >= garbage.length, dry.toString());
        assertTrue(objectKeys().containsAll(before), "a dry run deletes nothing");

        // The human form and ISO-8601 both work; a day's grace keeps today's garbage.
        assertEquals(0, gc("?grace=24h", admin).json().get("deletedBlobs").asInt());
        assertEquals(0, gc("?grace=PT24H", admin).json().get("deletedBlobs").asInt());

        double runsBefore = TransferTest.metricValue("quanthub_gc_runs_total");
        double reclaimedBefore = TransferTest.metricValue("quanthub_gc_reclaimed_bytes_total");
        JsonNode run = gc("?grace=0", admin).json();
        assertTrue(!run.get("dryRun").asBoolean() && run.get("complete").asBoolean(), run.toString());
        assertTrue(run.get("reclaimedBytes").asLong() >= garbage.length, run.toString());
        assertTrue(!objectKeys().contains("blobs/sha256/" + sha256(garbage)), "the garbage blob is gone");
        assertEquals(runsBefore + 1, TransferTest.metricValue("quanthub_gc_runs_total"));
        assertEquals(reclaimedBefore + run.get("reclaimedBytes").asLong(),
                TransferTest.metricValue("quanthub_gc_reclaimed_bytes_total"));
    }

    /** One committed file and the bytes it must serve. */
    private record Pushed(String repo, String path, String sha256) {}

    @Test
    void collectionRacingPushesNeverLosesACommittedFile() throws Exception {
        // The pushes reuse these contents, which also keep turning up as garbage (uploaded and never committed),
        // so collection runs keep deleting blobs that a push is about to de-duplicate against.
        List<byte[]> contents = new ArrayList<>();
        for (int i = 0; i < 8; i++) contents.add(randomBytes(1000 + i, i == 0 ? PART + 4096 : 20_000 + i));
        for (int t = 0; t < PUSHERS; t++) createRepo("gc-race/pusher-" + t, false);

        Queue<Pushed> pushed = new ConcurrentLinkedQueue<>();
        AtomicBoolean pushing = new AtomicBoolean(true);
        long reclaimed = 0;
        int runs = 0;
        int deletedBlobs = 0;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
             HubStorage maker = garbageMaker()) {
            List<Future<?>> pushers = new ArrayList<>();
            for (int t = 0; t < PUSHERS; t++) {
                String repo = "gc-race/pusher-" + t;
                int seed = t;
                pushers.add(pool.submit(() -> {
                    for (int i = 0; i < PUSHES_EACH; i++) {
                        byte[] data = contents.get((seed * 3 + i) % contents.size());
                        String path = "file-" + i + ".bin";
                        commitFiles(repo, "main", Map.of(path, data));
                        pushed.add(new Pushed(repo, path, sha256(data)));
                    }
                    return null;
                }));
            }
            Future<?> garbage = pool.submit(() -> {
                for (int i = 0; pushing.get(); i++) {
                    byte[] data = i % 2 == 0 ? contents.get(i / 2 % contents.size()) : randomBytes(5000 + i, 7000);
                    try {
                        maker.blobs().put(new ByteArrayInputStream(data), data.length);
                    } catch (StorageException.NotFound abortedByACollection) {
                        // Its lease lasts a millisecond, so a run may abort its upload midway: garbage either way.
                    }
                }
                return null;
            });
            while (pushers.stream().anyMatch(f -> !f.isDone())) {
                Response run = gc("?grace=0", admin);
                assertEquals(200, run.status(), run.text());
                JsonNode report = run.json();
                runs++;
                reclaimed += report.get("reclaimedBytes").asLong();
                deletedBlobs += report.get("deletedBlobs").asInt();
            }
            pushing.set(false);
            for (Future<?> f : pushers) f.get();
            garbage.get();
        }
        JsonNode last = gc("?grace=0", admin).json();
        System.out.printf("GC race: %d runs during %d pushes deleted %d blobs, %d bytes; a last run %s%n", runs,
                PUSHERS * PUSHES_EACH, deletedBlobs, reclaimed, last);

        assertEquals(PUSHERS * PUSHES_EACH, pushed.size());
        assertTrue(runs >= 2, "collection ran during the pushes: " + runs);
        assertTrue(deletedBlobs + last.get("deletedBlobs").asInt() > 0, "the race deleted garbage");
        for (Pushed p : pushed) {
            Response r = get("/" + p.repo() + "/resolve/main/" + p.path(), null);
            assertEquals(200, r.status(), p + ": " + r.text());
            assertEquals(p.sha256(), sha256(r.body()), p + " serves its own bytes");
        }
    }
}
