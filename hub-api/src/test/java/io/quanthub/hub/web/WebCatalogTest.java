package io.quanthub.hub.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.GgufWriter;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.format.TensorSpec;
import io.quanthub.gguf.synthetic.SyntheticModel;
import io.quanthub.hub.ClusterConfig;
import io.quanthub.hub.ConverterMemberForTests;
import io.quanthub.hub.HubConfig;
import io.quanthub.hub.HubServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web catalog as a user sees it: a real hub (embedded S3 on loopback) holding flux-tiny and its Q8_0 GGUF,
 * pushed through the HTTP API, browsed with headless Chromium. Screenshots go to {@code target/screenshots}.
 * Conversions run on a converter member that joins the hub's cluster member, as {@code quanthub converter} does;
 * it holds its tasks while a test looks at a conversion in progress.
 */
class WebCatalogTest {
    private static final String REPO = "demo/flux-tiny";
    private static final String PRIVATE_REPO = "demo/flux-private";
    /** A small synthetic Flux model (its own source digest, so what is produced from it shows nowhere else). */
    private static final String PRODUCE_REPO = "demo/synthetic-flux";
    private static final String GGUF = "flux-tiny-Q8_0.gguf";
    /** A GGUF file with thousands of tensors (real models have up to ~2,000), for the viewer's paging. */
    private static final String MANY_TENSORS = "many-tensors.gguf";
    private static final int MANY = 2500;
    private static final String MESSAGE = "Add flux-tiny and its Q8_0 GGUF";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");

    @TempDir
    static Path dir;
    static Browser browser;
    static HubServer hub;
    static ConverterMemberForTests converter;
    static String admin;
    static Path gguf;
    static Path manyTensors;
    static Path synthetic;

    @BeforeAll
    static void startHubAndBrowser() throws Exception {
        browser = Browser.start(Path.of(System.getProperty("basedir", ".")).resolve("target/browser"));
        hub = HubServer.start(HubConfig.defaults(dir.resolve("hub")).withPort(0).withCluster(ClusterConfig.defaults()
                .withPort(0).withOptions(ConverterMemberForTests.options()).withConverts(false)));
        admin = Files.readString(hub.adminTokenFile()).strip();
        converter = new ConverterMemberForTests(hub);

        String testdata = System.getProperty("quanthub.testdata");
        assertNotNull(testdata, "system property quanthub.testdata (the shared test data folder) is not set");
        Path source = Path.of(testdata, "flux-tiny", "model.safetensors");
        gguf = dir.resolve(GGUF);
        new Converter(2, false).convert(source, QuantLevel.Q8_0, gguf, Converter.ProgressListener.NONE);

        manyTensors = writeManyTensors(dir.resolve(MANY_TENSORS));

        for (String repo : List.of(REPO, PRIVATE_REPO)) {
            post("/api/repos", Map.of("name", repo, "private", repo.equals(PRIVATE_REPO)));
            Map<String, Object> files = new LinkedHashMap<>();
            files.put("model.safetensors", upload(repo, source));
            files.put(GGUF, upload(repo, gguf));
            if (repo.equals(PRIVATE_REPO)) files.put(MANY_TENSORS, upload(repo, manyTensors));
            post("/api/models/" + repo + "/commits/main", Map.of("message", MESSAGE, "files", files));
        }
        synthetic = dir.resolve("synthetic.safetensors");
        SyntheticModel.writeFlux(synthetic, 6_000_000, 5);
        post("/api/repos", Map.of("name", PRODUCE_REPO, "private", false));
        post("/api/models/" + PRODUCE_REPO + "/commits/main", Map.of("message", "Add a synthetic Flux model",
                "files", Map.of("model.safetensors", upload(PRODUCE_REPO, synthetic))));
    }

    /** {@value #MANY} small F32 tensors named {@code blocks.<i>.weight}. */
    private static Path writeManyTensors(Path file) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < MANY; i++) specs.add(TensorSpec.of("blocks." + i + ".weight", GgmlType.F32, 16));
        try (GgufWriter writer = GgufWriter.create(file, Map.of("general.name", new GgufValue.Str("many tensors")),
                specs)) {
            for (int i = 0; i < MANY; i++) writer.writeTensorData(new byte[16 * Float.BYTES]);
        }
        return file;
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            if (browser != null) browser.close();
        } finally {
            if (converter != null) converter.close();
            if (hub != null) hub.close();
        }
    }

    /** Every test starts without a token and without a remembered GPU. */
    @BeforeEach
    void freshPage() {
        browser.setWindowSize(1440, 1000);
        browser.open(hub.url() + "/");
        browser.script("localStorage.clear();");
    }

    @Test
    void catalogListsModelsAndSearchFilters() throws IOException {
        open("#/");
        // Sorted by name: demo/flux-tiny, then demo/synthetic-flux.
        Browser.Element card = browser.waitFor("the catalog to list " + REPO + " first",
                () -> cardTexts().size() == 2 && cardTexts().getFirst().contains(REPO) ? browser.find(".model-card") : null);
        String text = browser.text(card);
        assertTrue(text.contains("flux"), "architecture shown: " + text);
        assertTrue(text.contains("1 available"), "number of available quants shown: " + text);
        assertTrue(browser.text(browser.find(".result-count")).startsWith("2 models"));

        Browser.Element search = browser.find("#catalog-search");
        browser.type(search, "no-such-model");
        browser.waitFor("the search to empty the list",
                () -> browser.find(".empty") != null && cardTexts().isEmpty() ? true : null);
        assertTrue(browser.text(browser.find(".empty")).contains("No model matches"));
        assertTrue((Boolean) browser.script("return location.hash.includes('search=no-such-model');"),
                "the search is kept in the address");

        browser.clear(search);
        browser.type(search, "TINY");
        browser.waitFor("the search (any case) to find " + REPO,
                () -> cardTexts().size() == 1 && cardTexts().getFirst().contains(REPO) ? true : null);

        List<String> architectures = new ArrayList<>();
        for (Browser.Element option : browser.findAll("#filter-architecture option")) {
            architectures.add(browser.text(option));
        }
        assertEquals(List.of("All architectures", "flux"), architectures);
        browser.screenshot(SCREENSHOTS.resolve("catalog-1440.png"), 1440, 1200);
        browser.screenshot(SCREENSHOTS.resolve("catalog-375.png"), 375, 1200);
    }

    @Test
    void tokenFieldShowsPrivateRepositories() {
        open("#/");
        browser.waitFor("the public models", () -> cardTexts().size() == 2 ? true : null);

        saveToken(admin);
        List<String> cards = browser.waitFor("the private model with the token", () -> cardTexts().size() == 3 ? cardTexts() : null);
        String privateCard = cards.stream().filter(c -> c.contains(PRIVATE_REPO)).findFirst().orElseThrow();
        assertTrue(privateCard.contains("Private"), "private badge: " + privateCard);
        assertEquals(admin, browser.script("return localStorage.getItem('quanthub.token');"));

        browser.click(browser.find("#token-menu summary"));
        browser.click(browser.find("#token-clear"));
        browser.waitFor("the private model to disappear without the token", () -> cardTexts().size() == 2 ? true : null);
    }

    @Test
    void variantsTableShowsLevelsFitsAndCommands() throws Exception {
        JsonNode quants = getJson("/api/models/" + REPO + "/quants");
        open("#/models/" + REPO);
        browser.await("tr[data-quant='Q8_0']");

        assertEquals(QuantLevel.values().length, browser.findAll(".variants-table tbody tr").size(), "one row per level");
        assertEquals("Pushed", cell("Q8_0", "Status"), "a file of the repository, not made by the hub");
        assertEquals(String.format(Locale.ROOT, "%,d bytes", Files.size(gguf)),
                browser.attribute(browser.find("tr[data-quant='Q8_0'] td[data-label='Size']"), "title"),
                "exact size of the pushed file");
        assertEquals("Not yet produced", cell("Q4_K_M", "Status"));
        assertTrue(cell("Q4_K_M", "Size").startsWith("≈ "), "estimated size: " + cell("Q4_K_M", "Size"));
        assertEquals("Produce", cell("Q4_K_M", "Get"), "a missing level can be produced, nothing downloaded");

        // The copy command (shown and copied) and the download link of the available level.
        String command = "quanthub pull " + REPO + ":Q8_0";
        assertEquals(command, browser.text(browser.find("tr[data-quant='Q8_0'] .command-text")));
        assertEquals("quanthub pull " + REPO, browser.text(browser.find(".pull-default .command-text")),
                "the default level (Q8_0) is pulled without a level");
        Browser.Element copy = browser.find("tr[data-quant='Q8_0'] .copy-button");
        browser.click(copy);
        browser.waitFor("the copy button to confirm", () -> browser.text(copy).equals("Copied") ? true : null);
        browser.grantPermission("clipboard-read");
        assertEquals(command, browser.asyncScript(
                "navigator.clipboard.readText().then(arguments[0], e => arguments[0]('unreadable: ' + e));"));
        String href = browser.attribute(browser.find("tr[data-quant='Q8_0'] .get a"), "href");
        assertEquals("/" + REPO + "/resolve/main/" + GGUF, href);
        HttpResponse<Void> head = HTTP.send(HttpRequest.newBuilder(hub.url().resolve(href))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(200, head.statusCode());
        assertEquals(Files.size(gguf), head.headers().firstValueAsLong("Content-Length").orElseThrow());

        // The GPU selector: highlighted rows follow the hub's VRAM estimates.
        assertTrue(browser.findAll(".variants-table tr[data-fit='full'], .variants-table tr[data-fit='model']").isEmpty(),
                "nothing highlighted before a GPU is picked");
        Map<String, String> at12 = pickGpu(12, quants);
        Map<String, String> at16 = pickGpu(16, quants);
        assertNotEquals(at12, at16, "12 GB and 16 GB highlight different rows");
        assertEquals("full", at16.get("Q8_0"));
        List<Browser.Element> recommended = browser.findAll(".variants-table tr.recommended");
        assertEquals(1, recommended.size(), "one recommended level");
        String best = browser.attribute(recommended.getFirst(), "data-quant");
        assertEquals("full", at16.get(best), "the recommended level fits with encoders");
        for (JsonNode level : quants.get("quants")) {
            if ("full".equals(at16.get(level.get("quant").asText()))) {
                assertTrue(level.get("size").asLong() <= size(quants, best), "no larger level fits: " + level);
            }
        }
        assertTrue(browser.text(browser.find(".fit-summary")).contains("Recommended: " + best));
        browser.screenshot(SCREENSHOTS.resolve("variants-1440.png"), 1440, 2400);
        browser.screenshot(SCREENSHOTS.resolve("variants-375.png"), 375, 1600);
    }

    @Test
    void filesTabAndGgufViewerShowTheTensorTable() throws IOException {
        open("#/models/" + REPO + "/files");
        browser.await(".files-table tbody tr");
        List<String> paths = new ArrayList<>();
        for (Browser.Element th : browser.findAll(".files-table tbody th")) paths.add(browser.text(th));
        assertEquals(List.of(GGUF, "model.safetensors"), paths);

        browser.click(browser.await("a[aria-label='View the GGUF header of " + GGUF + "']"));
        browser.await(".tensor-table tbody tr");
        try (GgufFile file = GgufFile.open(gguf)) {
            List<TensorInfo> tensors = file.tensors();
            assertEquals(Math.min(100, tensors.size()), browser.findAll(".tensor-table tbody tr").size(), "one page");
            String status = browser.text(browser.find(".pager-status"));
            assertTrue(status.contains("of " + String.format(Locale.ROOT, "%,d", tensors.size()) + " tensors"), status);

            TreeSet<String> types = new TreeSet<>();
            tensors.forEach(t -> types.add(t.type().name()));
            List<String> shown = new ArrayList<>();
            for (Browser.Element th : browser.findAll(".types-table tbody th")) shown.add(browser.text(th));
            assertEquals(List.copyOf(types), shown, "totals per tensor type");
            assertEquals("flux", metadataValue("general.architecture"));

            // The name filter narrows the table to the matching tensors.
            String needle = tensors.getFirst().name();
            browser.type(browser.find("#tensor-filter"), needle);
            long matching = tensors.stream().filter(t -> t.name().contains(needle)).count();
            browser.waitFor("the filter to apply",
                    () -> browser.findAll(".tensor-table tbody tr").size() == Math.min(100, matching) ? true : null);
            browser.clear(browser.find("#tensor-filter"));
            browser.waitFor("the cleared filter to show every tensor again",
                    () -> browser.text(browser.find(".pager-status")).contains("(filtered") ? null : true);
        }
        browser.screenshot(SCREENSHOTS.resolve("gguf-1440.png"), 1440, 2400);
    }

    @Test
    void ggufViewerPagesThousandsOfTensorsOfAPrivateRepository() throws IOException {
        saveToken(admin);
        open("#/models/" + PRIVATE_REPO + "/gguf/" + MANY_TENSORS);
        browser.await(".tensor-table tbody tr");
        assertEquals(100, browser.findAll(".tensor-table tbody tr").size(), "only one page is in the page");
        assertEquals("Private: download with the CLI", browser.text(browser.find(".gguf p .muted")),
                "a plain link cannot carry the token, so none is offered");
        assertEquals("Showing 1–100 of 2,500 tensors · page 1 of 25", browser.text(browser.find(".pager-status")));
        assertEquals("blocks.0.weight", firstTensorName());
        Browser.Element next = browser.find(".pager button:last-child");
        browser.click(next);
        assertEquals("Showing 101–200 of 2,500 tensors · page 2 of 25", browser.text(browser.find(".pager-status")));
        assertEquals("blocks.100.weight", firstTensorName());

        browser.type(browser.find("#tensor-filter"), "blocks.249");  // blocks.249 and blocks.2490 … blocks.2499
        browser.waitFor("the filter to apply",
                () -> browser.findAll(".tensor-table tbody tr").size() == 11 ? true : null);
        assertEquals("Showing 1–11 of 11 tensors (filtered from 2,500) · page 1 of 1",
                browser.text(browser.find(".pager-status")));
        assertEquals("true", browser.attribute(next, "disabled"));
        browser.screenshot(SCREENSHOTS.resolve("gguf-paged-375.png"), 375, 1600);
    }

    @Test
    void commitsTabAndErrors() throws Exception {
        open("#/models/" + REPO + "/commits");
        Browser.Element commit = browser.await(".commit");
        String text = browser.text(commit);
        assertTrue(text.contains(MESSAGE) && text.contains("admin"), text);

        String missing = "demo/does-not-exist";
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(hub.url().resolve("/api/models/" + missing)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, answer.statusCode());
        String message = JSON.readTree(answer.body()).get("error").asText();
        open("#/models/" + missing);
        Browser.Element error = browser.await(".error");
        assertEquals(message, browser.text(browser.find(".error-message")), "the hub's own message");
        assertTrue(browser.text(error).startsWith("Not found"));
    }

    @Test
    void produceButtonConvertsAMissingLevelWithLiveProgress() throws Exception {
        converter.hold(); // planned, then held: the page shows the conversion running
        open("#/models/" + PRODUCE_REPO);
        Browser.Element produce = browser.await("tr[data-quant='Q8_0'] .produce-button");
        recordJobStates("tr[data-quant='Q8_0'] .job-progress");
        browser.click(produce);
        Browser.Element progress = browser.await("tr[data-quant='Q8_0'] .job-progress[data-state='running']");
        assertTrue(browser.text(progress).startsWith("Converting 0%"), browser.text(progress));
        assertEquals("Converting 0%", cell("Q8_0", "Status"), "the Status column follows the conversion");
        browser.screenshot(SCREENSHOTS.resolve("produce-running-1440.png"), 1440, 1600);

        converter.open();
        // The table is loaded again once the job is done: the row is briefly gone meanwhile.
        browser.waitFor("Q8_0 to be available", () -> {
            Browser.Element status = browser.find("tr[data-quant='Q8_0'] td[data-label='Status']");
            return status != null && browser.text(status).strip().equals("Available") ? true : null;
        });
        List<String> states = recordedJobStates();
        assertTrue(states.contains("running") && states.getLast().equals("done") && !states.contains("failed"),
                "the progress bar followed the job to the end: " + states);
        String href = browser.attribute(browser.find("tr[data-quant='Q8_0'] .get a"), "href");
        assertEquals("/" + PRODUCE_REPO + "/resolve/main/synthetic-flux-Q8_0.gguf", href);
        Path expected = dir.resolve("expected-synthetic-Q8_0.gguf");
        new Converter(2, false).convert(synthetic, QuantLevel.Q8_0, expected, Converter.ProgressListener.NONE);
        HttpResponse<byte[]> file = HTTP.send(HttpRequest.newBuilder(hub.url().resolve(href)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, file.statusCode());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(expected), file.body()), "the converter's bytes");
        String size = cell("Q8_0", "Size");
        assertTrue(size.matches("(?s).*RMSE \\d+\\.\\d\\d% · cos 0\\.9\\d{4}.*"), "quality next to the size: " + size);
        browser.screenshot(SCREENSHOTS.resolve("produce-done-1440.png"), 1440, 1600);
    }

    @Test
    void variantsTableShowsAConversionAskedForElsewhere() throws Exception {
        converter.hold();
        postForJob("/api/models/" + PRODUCE_REPO + "/quants/Q4_0");  // as the CLI's pull does
        open("#/models/" + PRODUCE_REPO);
        browser.waitFor("Q4_0's status to show the running conversion", () -> {
            Browser.Element status = browser.find("tr[data-quant='Q4_0'] td[data-label='Status']");
            return status != null && browser.text(status).strip().equals("Converting 0%") ? true : null;
        });
        assertEquals(null, browser.find("tr[data-quant='Q4_0'] .produce-button"), "followed, not offered again");
        assertTrue(cell("Q4_0", "Get").startsWith("Converting 0%"), cell("Q4_0", "Get"));
        assertEquals("Not yet produced", cell("Q5_1", "Status"), "levels nobody asked for");

        converter.open();
        browser.waitFor("Q4_0 to be available", () -> {
            Browser.Element status = browser.find("tr[data-quant='Q4_0'] td[data-label='Status']");
            return status != null && browser.text(status).strip().equals("Available") ? true : null;
        });
    }

    @Test
    void queuePageShowsRunningConversionsLive() throws Exception {
        converter.hold();
        JsonNode job = postForJob("/api/models/" + PRODUCE_REPO + "/quants/Q5_0");
        String id = job.get("id").asText();
        open("#/");
        browser.click(browser.await("#queue-link"));
        String row = "tr[data-job='" + id + "']";
        browser.await(".queue-active " + row + " .job-progress[data-state='running']");
        recordJobStates(".queue-active " + row + " .job-progress");
        assertEquals(PRODUCE_REPO, browser.text(browser.find(row + " th a")));
        assertEquals("Q5_0", browser.text(browser.find(row + " td[data-label='Quant']")));
        assertEquals("Conversion", browser.text(browser.find(row + " td[data-label='Job']")));
        assertTrue(browser.text(browser.find(".result-count")).startsWith("1 conversion and 0 previews in progress"),
                browser.text(browser.find(".result-count")));
        browser.screenshot(SCREENSHOTS.resolve("queue-375.png"), 375, 1200);

        converter.open();
        browser.await(".queue-finished " + row + " .job-progress[data-state='done']");
        assertTrue(recordedJobStates().contains("done"), "the live row reached done: " + recordedJobStates());
        browser.screenshot(SCREENSHOTS.resolve("queue-1440.png"), 1440, 1200);
    }

    // ---- page helpers --------------------------------------------------------------------------------------------

    private static void open(String hash) {
        browser.open(hub.url() + "/" + hash);
    }

    /** Records in the page every state the progress element at {@code css} shows, as it changes. */
    private static void recordJobStates(String css) {
        browser.script("""
                window.jobStates = [];
                const record = () => {
                  const state = document.querySelector(arguments[0])?.dataset.state;
                  if (state && window.jobStates.at(-1) !== state) window.jobStates.push(state);
                };
                record();
                new MutationObserver(record).observe(document.body, {subtree: true, childList: true, attributes: true});
                """, css);
    }

    @SuppressWarnings("unchecked")
    private static List<String> recordedJobStates() {
        return (List<String>) browser.script("return window.jobStates;");
    }

    /** Enters a token in the top bar's token field, as a user does. */
    private static void saveToken(String token) {
        browser.click(browser.find("#token-menu summary"));
        browser.type(browser.find("#token-input"), token);
        browser.click(browser.find("#token-form button[type=submit]"));
        assertEquals("set", browser.text(browser.find("#token-state")));
    }

    private static String firstTensorName() {
        return browser.text(browser.find(".tensor-table tbody th"));
    }

    private static List<String> cardTexts() {
        List<String> texts = new ArrayList<>();
        for (Browser.Element card : browser.findAll(".model-card")) texts.add(browser.text(card));
        return texts;
    }

    /** The text of a variants-table cell, by the row's quant and the cell's column label. */
    private static String cell(String quant, String label) {
        Browser.Element cell = browser.find("tr[data-quant='" + quant + "'] td[data-label='" + label + "']");
        assertNotNull(cell, "no " + label + " cell for " + quant);
        return browser.text(cell).strip();
    }

    /** Picks a GPU size and checks every row's highlight against the hub's estimates; gives quant → fit. */
    private static Map<String, String> pickGpu(int gb, JsonNode quants) {
        browser.click(browser.find("label[for='gpu-" + gb + "']"));
        Map<String, String> expected = new LinkedHashMap<>();
        long capacity = (long) gb << 30;
        for (JsonNode level : quants.get("quants")) {
            JsonNode vram = level.get("vram");
            String fit = "";
            if (vram != null) {
                JsonNode with = vram.get("withTextEncodersAndVae");
                fit = with != null && with.asLong() <= capacity ? "full"
                        : vram.get("modelOnly").asLong() <= capacity ? "model" : "none";
            }
            expected.put(level.get("quant").asText(), fit);
        }
        return browser.waitFor("the rows highlighted for " + gb + " GB to match the hub's estimates " + expected, () -> {
            Map<String, String> shown = new LinkedHashMap<>();
            for (Browser.Element row : browser.findAll(".variants-table tbody tr")) {
                shown.put(browser.attribute(row, "data-quant"), browser.attribute(row, "data-fit"));
            }
            return shown.equals(expected) ? shown : null;
        });
    }

    private static long size(JsonNode quants, String quant) {
        for (JsonNode level : quants.get("quants")) {
            if (level.get("quant").asText().equals(quant)) return level.get("size").asLong();
        }
        throw new AssertionError("no level " + quant);
    }

    private static String metadataValue(String key) {
        for (Browser.Element row : browser.findAll(".metadata-table tbody tr")) {
            String text = browser.text(row);
            if (text.startsWith(key)) return text.substring(key.length()).strip();
        }
        throw new AssertionError("metadata key " + key + " not shown");
    }

    // ---- API helpers ---------------------------------------------------------------------------------------------

    private static Map<String, Object> upload(String repo, Path file) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(hub.url().resolve("/api/models/" + repo + "/uploads"))
                .header("Authorization", "Bearer " + admin)
                .PUT(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        JsonNode answer = JSON.readTree(r.body());
        return Map.of("digest", answer.get("digest").asText(), "size", answer.get("size").asLong());
    }

    private static void post(String path, Object body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(hub.url().resolve(path))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), path + ": " + r.body());
    }

    /** POSTs a conversion request anonymously, as anyone may; gives the job. */
    private static JsonNode postForJob(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(hub.url().resolve(path))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode getJson(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(hub.url() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }
}
