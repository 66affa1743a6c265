package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.core.Hazelcast;
import io.quanthub.cluster.Discovery;
import io.quanthub.gguf.convert.ConversionInputs;
import io.quanthub.gguf.convert.ConversionPlan;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.safetensors.SafetensorsHeader;
import io.quanthub.gguf.safetensors.SafetensorsTensor;
import io.quanthub.gguf.synthetic.SyntheticModel;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Changes;
import io.quanthub.storage.CommitRequest;
import io.quanthub.storage.Digest;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.S3Settings;
import io.quanthub.storage.StorageOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quant levels produced on demand through the hub's HTTP API, by a real converter cluster: the hub's own member (which
 * keeps the job records but converts nothing here) and two converter members in this JVM, all Hazelcast members on
 * loopback, on one S3 server (S3Proxy in a temporary folder).
 */
class ConversionApiTest {
    private static final Path FLUX_TINY = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
            "flux-tiny", "model.safetensors");
    private static final int PART = StorageOptions.MIN_PART_SIZE;
    /** A guard against hangs, never a timing assertion. */
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;
    static EmbeddedS3 s3;
    static HubServer hub;
    static String admin;
    static final List<ConverterMemberForTests> converters = new ArrayList<>();
    /** A Flux-shaped BF16 model of about 24 MB: its Q8_0 output takes three 5 MiB parts. */
    static Path synthetic;

    @BeforeAll
    static void startHubAndConverters() throws Exception {
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        S3Settings bucket = s3.settings("conversions");
        hub = HubServer.start(HubConfig.defaults(dir.resolve("hub")).withPort(0).withS3(bucket)
                .withStorage(StorageOptions.defaults().withPartSize(PART))
                .withCluster(ClusterConfig.defaults().withPort(0).withOptions(ConverterMemberForTests.options())
                        .withConverts(false)));
        admin = Files.readString(hub.adminTokenFile()).strip();
        for (int i = 0; i < 2; i++) converters.add(new ConverterMemberForTests(hub.clusterAddress().orElseThrow(), bucket));
        assertEquals(3, converters.getFirst().member().getCluster().getMembers().size(),
                "the hub's member and two converters");

        synthetic = dir.resolve("synthetic.safetensors");
        SyntheticModel.writeFlux(synthetic, 24_000_000, 11);
        createRepo("demo/synthetic", false);
        commit("demo/synthetic", Map.of("model.safetensors", synthetic));
    }

    @AfterAll
    static void stop() {
        converters.forEach(ConverterMemberForTests::close);
        if (hub != null) hub.close();
        if (s3 != null) s3.close();
    }

    @Test
    void concurrentRequestsShareOneJobWhoseEventsEndDoneAndWhoseFileIsTheConvertersOutput() throws Exception {
        converters.forEach(ConverterMemberForTests::hold); // the job plans, then waits for this test to see it run
        try {
            convertWhileWatching();
        } finally {
            converters.forEach(ConverterMemberForTests::open);
        }
    }

    private void convertWhileWatching() throws Exception {
        String path = "/api/models/demo/synthetic/quants/Q8_0";
        CompletableFuture<Response> first = CompletableFuture.supplyAsync(() -> send("POST", path, null));
        CompletableFuture<Response> second = CompletableFuture.supplyAsync(() -> send("POST", path, null));
        JsonNode a = first.get().json(202);
        JsonNode b = second.get().json(202);
        String id = a.get("id").asText();
        assertEquals(id, b.get("id").asText(), "one job for both requests");
        assertEquals("conversion", a.get("kind").asText());
        assertEquals("/api/jobs/" + id, first.get().header("Location"));
        assertEquals("/api/jobs/" + id + "/events", a.get("links").get("events").asText());

        Events events = Events.open(id);
        assertTrue(events.contentType.startsWith("text/event-stream"), events.contentType);
        assertEquals("no-cache", events.cacheControl);
        JsonNode running = events.until("running", job -> "running".equals(job.get("state").asText()));
        assertTrue(running.get("bytesTotal").asLong() > 2L * PART, "planned output of several parts: " + running);
        assertTrue(running.get("progress").asDouble() < 1, running.toString());
        converters.forEach(ConverterMemberForTests::open);

        JsonNode done = events.until("done", job -> "done".equals(job.get("state").asText()));
        assertEquals("done", events.lastEvent, "the final event is named after the state");
        assertTrue(events.ended(), "the stream ends after the final event");
        double previous = 0;
        for (JsonNode job : events.jobs) {
            double progress = job.get("progress").asDouble();
            assertTrue(progress >= previous, "progress never goes back: " + events.jobs);
            previous = progress;
        }
        assertEquals(1.0, done.get("progress").asDouble());
        assertEquals(done.get("bytesTotal").asLong(), done.get("bytesDone").asLong());
        assertEquals(withoutTimes(done), withoutTimes(get("/api/jobs/" + id).json(200)));

        // The file is served from the commit under the quant table's name, byte for byte the converter's output.
        Path expected = dir.resolve("expected-Q8_0.gguf");
        new Converter(2, true).convert(synthetic, QuantLevel.Q8_0, expected, Converter.ProgressListener.NONE);
        String download = done.get("links").get("download").asText();
        assertTrue(download.startsWith("/demo/synthetic/resolve/") && download.endsWith("/synthetic-Q8_0.gguf"),
                download);
        Response file = get(download);
        assertEquals(200, file.status());
        assertArrayEquals(Files.readAllBytes(expected), file.raw().body(), "served bytes = converter output");

        JsonNode row = row(get("/api/models/demo/synthetic/quants").json(200), "Q8_0");
        assertEquals("available", row.get("status").asText());
        assertEquals("synthetic-Q8_0.gguf", row.get("path").asText());
        assertEquals(done.get("output").asText(), row.get("digest").asText());
        double rmse = row.get("quality").get("relativeRmse").asDouble();
        double cosine = row.get("quality").get("cosine").asDouble();
        assertTrue(rmse > 0 && rmse < 0.01, "Q8_0 relative RMSE " + rmse);
        assertTrue(cosine > 0.9999 && cosine <= 1, "Q8_0 cosine " + cosine);

        // Asked again, it is done at once, under the same id.
        JsonNode again = send("POST", path, null).json(200);
        assertEquals(id, again.get("id").asText());
        assertEquals("done", again.get("state").asText());
        Set<String> listed = new HashSet<>();
        get("/api/jobs").json(200).forEach(job -> listed.add(job.get("id").asText()));
        assertTrue(listed.contains(id), "recently finished jobs are listed: " + listed);
    }

    @Test
    void aConversionThatFailsEndsWithAFailedEventAndItsReason() throws Exception {
        byte[] model = Files.readAllBytes(FLUX_TINY);
        SafetensorsHeader header = SafetensorsHeader.read("flux-tiny",
                (offset, length) -> Arrays.copyOfRange(model, (int) offset, (int) offset + length), model.length);
        SafetensorsTensor weight = header.tensors().stream()
                .filter(t -> t.name().equals("single_blocks.0.linear1.weight")).findFirst().orElseThrow();
        model[(int) weight.fileOffset()] = (byte) 0xC0; // BF16 NaN, little-endian 0x7FC0
        model[(int) weight.fileOffset() + 1] = 0x7F;
        Path broken = dir.resolve("broken.safetensors");
        Files.write(broken, model);
        createRepo("demo/broken", false);
        commit("demo/broken", Map.of("model.safetensors", broken));

        String id = send("POST", "/api/models/demo/broken/quants/Q4_0", null).json(202).get("id").asText();
        Events events = Events.open(id);
        JsonNode failed = events.until("failed", job -> job.get("state").asText().equals("failed"));
        assertEquals("failed", events.lastEvent);
        String reason = failed.get("reason").asText();
        assertTrue(reason.contains("single_blocks.0.linear1.weight") && reason.contains("NaN"), reason);
        assertEquals(withoutTimes(failed), withoutTimes(get("/api/jobs/" + id).json(200)));
        assertEquals("missing", row(get("/api/models/demo/broken/quants").json(200), "Q4_0").get("status").asText());
    }

    @Test
    void malformedSafetensorsAreNamedWithTheirParseErrorOnCommitAndOnConversion() throws Exception {
        byte[] broken = new byte[64];
        broken[0] = 20; // a 20-byte header that is not JSON
        System.arraycopy("{\"w\": [1, 2".getBytes(), 0, broken, 8, 9);
        Path file = Files.write(dir.resolve("malformed.safetensors"), broken);
        createRepo("demo/malformed", false);
        JsonNode uploaded = send("PUT", "/api/models/demo/malformed/uploads", admin,
                HttpRequest.BodyPublishers.ofFile(file), "application/octet-stream").json(201);
        Map<String, Object> files = Map.of("model.safetensors", Map.of("digest", uploaded.get("digest").asText(),
                "size", broken.length));
        String refused = send("POST", "/api/models/demo/malformed/commits/main", admin,
                HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(Map.of("message", "m", "files", files))),
                "application/json").json(422).get("error").asText();
        assertTrue(refused.startsWith("model.safetensors is not a valid safetensors file: model.safetensors: header"),
                refused);

        // A commit made before commits were checked (here: straight to storage) gets the same answer on conversion.
        try (HubStorage storage = HubStorage.open(s3.settings("conversions"))) {
            storage.repos().commit(new CommitRequest(new RepoName("demo", "malformed"), "main", null,
                    Changes.of(Map.of("model.safetensors", new Blob(Digest.parse(uploaded.get("digest").asText()),
                            broken.length)), Set.of()), "admin", "old"));
        }
        String conversion = send("POST", "/api/models/demo/malformed/quants/Q4_0", admin).json(422).get("error")
                .asText();
        assertEquals(refused, conversion);
    }

    @Test
    void aPushedLevelNeitherStopsTheHubFromMakingItsOwnNorReplacesAnotherRepositorys() throws Exception {
        Path model = dir.resolve("victim.safetensors");
        SyntheticModel.writeFlux(model, 3_000_000, 23);
        Path other = dir.resolve("other.safetensors");
        SyntheticModel.writeFlux(other, 3_000_000, 29);
        // A forgery: another model's Q5_0, pushed as the victim model's Q5_0 next to the victim's source.
        Path forged = dir.resolve("evil-Q5_0.gguf");
        new Converter(2, true).convert(other, QuantLevel.Q5_0, forged, Converter.ProgressListener.NONE);
        createRepo("victim/model", false);
        String victimCommit = commit("victim/model", Map.of("model.safetensors", model));
        createRepo("evil/model", false);
        commit("evil/model", Map.of("model.safetensors", model, "evil-Q5_0.gguf", forged));
        assertEquals("pushed", row(get("/api/models/evil/model/quants").json(200), "Q5_0").get("status").asText());
        assertEquals("missing", row(get("/api/models/victim/model/quants").json(200), "Q5_0").get("status").asText());

        // Asked through the repository holding the forgery, the hub still converts: the pushed file is no variant.
        JsonNode job = send("POST", "/api/models/evil/model/quants/Q5_0", null).json(202);
        Events.open(job.get("id").asText()).until("done", j -> j.get("state").asText().equals("done"));
        Path expected = dir.resolve("expected-victim-Q5_0.gguf");
        new Converter(2, true).convert(model, QuantLevel.Q5_0, expected, Converter.ProgressListener.NONE);
        JsonNode victimRow = row(get("/api/models/victim/model/quants").json(200), "Q5_0");
        assertEquals("available", victimRow.get("status").asText());
        assertArrayEquals(Files.readAllBytes(expected),
                get("/victim/model/resolve/" + victimCommit + "/" + victimRow.get("path").asText()).raw().body(),
                "the victim's level is the converter's output, never the forged bytes");
        // The converter's level wins in the forger's own table too; the forged file stays a file of that repository.
        assertEquals("available", row(get("/api/models/evil/model/quants").json(200), "Q5_0").get("status").asText());
        assertArrayEquals(Files.readAllBytes(forged), get("/evil/model/resolve/main/evil-Q5_0.gguf").raw().body());

        // A level that is only pushed, with no source to make it from, answers a done job pointing at the file.
        createRepo("demo/gguf-only", false);
        String commit = commit("demo/gguf-only", Map.of("only-Q5_0.gguf", forged));
        JsonNode pushed = send("POST", "/api/models/demo/gguf-only/quants/q5_0", null).json(200);
        assertEquals("done", pushed.get("state").asText());
        assertEquals("/demo/gguf-only/resolve/" + commit + "/only-Q5_0.gguf",
                pushed.get("links").get("download").asText());
    }

    @Test
    void aT5EncoderWithItsTokenizerGetsLlamaCppLevelsOnDemand() throws Exception {
        Path data = FLUX_TINY.getParent().resolveSibling("text-encoders-tiny");
        Path t5 = data.resolve("t5.safetensors");
        Path tokenizer = data.resolve("t5_tokenizer/tokenizer.json");
        // Without its tokenizer a T5 is no model the hub can convert.
        createRepo("demo/t5-no-tokenizer", false);
        commit("demo/t5-no-tokenizer", Map.of("t5.safetensors", t5));
        Response refused = send("POST", "/api/models/demo/t5-no-tokenizer/quants/Q8_0", null);
        assertEquals(409, refused.status(), refused.text());
        assertTrue(refused.text().contains("t5.safetensors is a T5 text encoder: push its tokenizer.json"),
                refused.text());

        createRepo("demo/t5-tiny", false);
        String commit = commit("demo/t5-tiny", Map.of("text_encoders/t5.safetensors", t5,
                "text_encoders/t5_tokenizer/tokenizer.json", tokenizer));
        Path expected = dir.resolve("expected-t5-Q8_0.gguf");
        ConversionInputs inputs = new ConversionInputs("t5", Files.readString(tokenizer), Map.of());
        try (ModelSource source = ModelSource.open(t5)) {
            new Converter(2, true).write(ConversionPlan.of(source, QuantLevel.Q8_0, inputs), expected,
                    Converter.ProgressListener.NONE);
        }
        JsonNode table = get("/api/models/demo/t5-tiny/quants").json(200);
        assertEquals("t5encoder", table.get("architecture").asText(), table.toString());
        JsonNode missing = row(table, "Q8_0");
        assertEquals("missing", missing.get("status").asText());
        assertEquals(Files.size(expected), missing.get("size").asLong(), "the planned size is the file's");
        assertEquals("missing", row(table, "Q4_K_M").get("status").asText());

        JsonNode job = send("POST", "/api/models/demo/t5-tiny/quants/Q8_0", null).json(202);
        JsonNode done = Events.open(job.get("id").asText()).until("done", j -> j.get("state").asText().equals("done"));
        String download = done.get("links").get("download").asText();
        assertTrue(download.startsWith("/demo/t5-tiny/resolve/" + commit), download);
        assertArrayEquals(Files.readAllBytes(expected), get(download).raw().body(),
                "served bytes = llama.cpp's converter + llama_model_quantize, as the local converter makes them");
        assertEquals("available", row(get("/api/models/demo/t5-tiny/quants").json(200), "Q8_0").get("status")
                .asText());
    }

    @Test
    void badRequestsGetClearErrors() throws Exception {
        Response unknown = send("POST", "/api/models/demo/synthetic/quants/Q9_X", null);
        JsonNode error = unknown.json(400);
        assertTrue(error.get("error").asText().contains("'Q9_X'"), error.toString());
        List<String> valid = new ArrayList<>();
        error.get("valid").forEach(v -> valid.add(v.asText()));
        assertEquals(Arrays.stream(QuantLevel.values()).map(Enum::name).toList(), valid);

        createRepo("demo/text-only", false);
        Path readme = Files.writeString(dir.resolve("README.md"), "no model here");
        commit("demo/text-only", Map.of("README.md", readme));
        String noSource = send("POST", "/api/models/demo/text-only/quants/Q4_0", null).json(409).get("error").asText();
        assertTrue(noSource.contains("no safetensors model"), noSource);

        assertTrue(send("POST", "/api/models/demo/nowhere/quants/Q4_0", null).json(404).get("error").asText()
                .contains("not found"));
        assertEquals("job nope not found", get("/api/jobs/nope").json(404).get("error").asText());
        assertEquals(404, get("/api/jobs/nope/events").status());
    }

    @Test
    void jobsOfPrivateRepositoriesAreListedForReadersOnlyAndShownByIdWithoutTheirOrigin() throws Exception {
        Path model = dir.resolve("shared.safetensors");
        SyntheticModel.writeFlux(model, 4_000_000, 17);
        createRepo("demo/secret", true);
        commit("demo/secret", Map.of("model.safetensors", model));
        converters.forEach(ConverterMemberForTests::hold);
        String id;
        try {
            assertEquals(404, send("POST", "/api/models/demo/secret/quants/Q5_0", null).status(),
                    "anonymous callers do not see the repository");
            JsonNode secret = send("POST", "/api/models/demo/secret/quants/Q5_0", admin).json(202);
            id = secret.get("id").asText();
            assertEquals("demo/secret", secret.get("repo").asText());
            String secretId = id;
            get("/api/jobs").json(200).forEach(job -> assertFalse(job.get("id").asText().equals(secretId), "" + job));
            // By id too, the job of a private repository does not exist for those who cannot read it.
            assertEquals(404, get("/api/jobs/" + id).status());
            assertEquals(404, get("/api/jobs/" + id + "/events").status());
            assertTrue(send("GET", "/api/jobs", admin).json(200).findValuesAsText("id").contains(id));

            // The same file in a public repository: its conversion is the same job, which anyone may follow, but
            // without learning which private repository asked first.
            createRepo("demo/public-copy", false);
            commit("demo/public-copy", Map.of("model.safetensors", model));
            JsonNode shared = send("POST", "/api/models/demo/public-copy/quants/Q5_0", null).json(202);
            assertEquals(id, shared.get("id").asText());
            for (JsonNode shown : List.of(shared, get("/api/jobs/" + id).json(200))) {
                assertFalse(shown.has("repo") || shown.has("commit") || shown.get("links").has("download"),
                        shown.toString());
            }
            assertEquals("demo/secret", send("GET", "/api/jobs/" + id, admin).json(200).get("repo").asText());
        } finally {
            converters.forEach(ConverterMemberForTests::open);
        }
        // Anyone may follow it to the end, and the public repository serves the result under its own name.
        Events.open(id).until("done", job -> job.get("state").asText().equals("done"));
        JsonNode row = row(get("/api/models/demo/public-copy/quants").json(200), "Q5_0");
        assertEquals("available", row.get("status").asText());
        assertEquals("public-copy-Q5_0.gguf", row.get("path").asText());
    }

    @Test
    void aSecondHubSharesTheJobsAndEndsItsEventStreamsWhenItStops() throws Exception {
        Path model = dir.resolve("second-hub.safetensors");
        SyntheticModel.writeFlux(model, 8_000_000, 23);
        createRepo("demo/second-hub", false);
        commit("demo/second-hub", Map.of("model.safetensors", model));
        converters.forEach(ConverterMemberForTests::hold);
        // A long drain time: if the stream were not ended, stopping would wait for it (the hang guard below trips).
        HubServer second = HubServer.start(HubConfig.defaults(dir.resolve("second")).withPort(0)
                .withS3(s3.settings("conversions")).withShutdownTimeout(Duration.ofMinutes(10))
                .withCluster(ClusterConfig.defaults().withPort(0).withOptions(ConverterMemberForTests.options())
                        .withConverts(false).withJoin(Discovery.parse(hub.clusterAddress().orElseThrow()))));
        String id = send("POST", "/api/models/demo/second-hub/quants/Q4_0", null).json(202).get("id").asText();
        try {
            Events events = Events.open(second, id);
            events.until("running", job -> job.get("state").asText().equals("running"));
            assertEquals(id, send(second, "GET", "/api/jobs/" + id).json(200).get("id").asText(),
                    "the job asked for on one hub is found on the other");

            CompletableFuture.runAsync(second::close).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertTrue(events.ended(), "the event stream ended with the hub");
            assertFalse(events.jobs.stream().anyMatch(job -> job.get("state").asText().matches("done|failed")),
                    "no final event: the job goes on on the cluster " + events.jobs);
        } finally {
            second.close();
            converters.forEach(ConverterMemberForTests::open);
        }
        JsonNode done = Events.open(hub, id).until("done", job -> job.get("state").asText().equals("done"));
        assertEquals(1.0, done.get("progress").asDouble(), "the first hub's member kept the job going: " + done);
    }

    @Test
    void anEventStreamIsPushedItsJobsChangesAndReadsNothingWhileTheJobStandsStill() throws Exception {
        Path model = dir.resolve("pushed.safetensors");
        SyntheticModel.writeFlux(model, 16_000_000, 31);
        createRepo("demo/pushed", false);
        commit("demo/pushed", Map.of("model.safetensors", model));
        converters.forEach(ConverterMemberForTests::hold); // planned, then every part waits at the gate
        try {
            String id = send("POST", "/api/models/demo/pushed/quants/Q8_0", null).json(202).get("id").asText();
            Events events = Events.open(id);
            events.until("running", job -> job.get("state").asText().equals("running"));

            long readsBefore = jobRecordReads();
            Thread.sleep(1_000); // a polling stream would read the job several times meanwhile
            assertEquals(readsBefore, jobRecordReads(), "job records read while the watched job stood still");

            converters.forEach(ConverterMemberForTests::open);
            JsonNode done = events.until("done", job -> job.get("state").asText().equals("done"));
            assertTrue(events.ended(), "the stream ends after the final event");
            assertEquals(1.0, done.get("progress").asDouble());
            assertTrue(events.jobs.stream().anyMatch(job -> job.get("progress").asDouble() > 0
                    && job.get("progress").asDouble() < 1), "a part's progress was pushed: " + events.jobs);
        } finally {
            converters.forEach(ConverterMemberForTests::open);
        }
    }

    /** Reads of single job records ({@code IMap.get}) on every cluster member of this JVM. */
    private static long jobRecordReads() {
        return Hazelcast.getAllHazelcastInstances().stream()
                .mapToLong(member -> member.getMap("quanthub.jobs").getLocalMapStats().getGetOperationCount()).sum();
    }

    @Test
    void metricsIncludeTheConverterCluster() {
        String metrics = get("/metrics").text();
        for (String name : List.of("quanthub_jobs{state=\"queued\"", "quanthub_jobs{state=\"running\"",
                "quanthub_converted_bytes_total", "quanthub_member_throughput_bytes_per_second")) {
            assertTrue(metrics.contains(name), name + " in /metrics");
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /** The Server-Sent Events of one job, read on a thread of their own. */
    static final class Events {
        final String contentType;
        final String cacheControl;
        final List<JsonNode> jobs = new ArrayList<>();
        String lastEvent;
        private final BlockingQueue<Map.Entry<String, JsonNode>> queue = new LinkedBlockingQueue<>();
        private final CompletableFuture<Void> reading;

        private Events(HttpResponse<Stream<String>> response) {
            contentType = response.headers().firstValue("Content-Type").orElse("");
            cacheControl = response.headers().firstValue("Cache-Control").orElse("");
            reading = CompletableFuture.runAsync(() -> {
                String event = "message";
                try (Stream<String> lines = response.body()) {
                    for (String line : (Iterable<String>) lines::iterator) {
                        if (line.startsWith("event:")) event = line.substring(6).strip();
                        if (line.startsWith("data:")) queue.add(Map.entry(event, parse(line.substring(5))));
                    }
                }
            });
        }

        static Events open(String id) throws IOException, InterruptedException {
            return open(hub, id);
        }

        static Events open(HubServer server, String id) throws IOException, InterruptedException {
            HttpResponse<Stream<String>> response = HTTP.send(HttpRequest.newBuilder(
                    server.url().resolve("/api/jobs/" + id + "/events")).build(), HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, response.statusCode());
            return new Events(response);
        }

        /** Reads events until one satisfies {@code wanted}; fails if the stream ends first. */
        JsonNode until(String what, java.util.function.Predicate<JsonNode> wanted) throws InterruptedException {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (System.nanoTime() < deadline) {
                Map.Entry<String, JsonNode> next = queue.poll(100, TimeUnit.MILLISECONDS);
                if (next == null) {
                    if (reading.isDone() && queue.isEmpty()) throw new AssertionError("stream ended before " + what
                            + ": " + jobs);
                    continue;
                }
                lastEvent = next.getKey();
                jobs.add(next.getValue());
                if (wanted.test(next.getValue())) return next.getValue();
            }
            throw new AssertionError("no " + what + " event in " + PATIENCE + ": " + jobs);
        }

        boolean ended() {
            try {
                reading.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                return queue.isEmpty();
            } catch (Exception e) {
                return false;
            }
        }
    }

    record Response(int status, HttpResponse<byte[]> raw) {
        String text() {
            return new String(raw.body(), java.nio.charset.StandardCharsets.UTF_8);
        }

        JsonNode json(int expectedStatus) {
            assertEquals(expectedStatus, status, text());
            return parse(text());
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Response get(String path) {
        return send("GET", path, null);
    }

    static Response send(String method, String path, String token) {
        return send(method, path, token, HttpRequest.BodyPublishers.noBody(), "application/octet-stream");
    }

    static Response send(HubServer server, String method, String path) {
        return send(server, method, path, null, HttpRequest.BodyPublishers.noBody(), "application/octet-stream");
    }

    static Response send(String method, String path, String token, HttpRequest.BodyPublisher body,
                         String contentType) {
        return send(hub, method, path, token, body, contentType);
    }

    static Response send(HubServer server, String method, String path, String token, HttpRequest.BodyPublisher body,
                         String contentType) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.url().resolve(path)).method(method, body)
                .header("Content-Type", contentType);
        if (token != null) request.header("Authorization", "Bearer " + token);
        try {
            HttpResponse<byte[]> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static void createRepo(String name, boolean isPrivate) throws IOException {
        send("POST", "/api/repos", admin, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(
                Map.of("name", name, "private", isPrivate))), "application/json").json(201);
    }

    /** Uploads the files and commits them on main; returns the commit id. */
    static String commit(String repo, Map<String, Path> files) throws IOException {
        Map<String, Object> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Path> f : files.entrySet()) {
            JsonNode blob = send("PUT", "/api/models/" + repo + "/uploads", admin,
                    HttpRequest.BodyPublishers.ofFile(f.getValue()), "application/octet-stream").json(201);
            entries.put(f.getKey(), Map.of("digest", blob.get("digest").asText(), "size", blob.get("size").asLong()));
        }
        return send("POST", "/api/models/" + repo + "/commits/main", admin, HttpRequest.BodyPublishers.ofByteArray(
                JSON.writeValueAsBytes(Map.of("message", "add model", "files", entries))), "application/json")
                .json(201).get("id").asText();
    }

    static JsonNode row(JsonNode table, String quant) {
        for (JsonNode row : table.get("quants")) {
            if (row.get("quant").asText().equals(quant)) return row;
        }
        throw new AssertionError("no row " + quant + " in " + table);
    }

    /** A job's JSON without its times: a job answered from storage (no job record) is timed when asked. */
    static JsonNode withoutTimes(JsonNode job) {
        com.fasterxml.jackson.databind.node.ObjectNode copy = job.deepCopy();
        copy.remove(List.of("created", "updated"));
        return copy;
    }
}
