package io.quanthub.hub.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quanthub.hub.HubConfig;
import io.quanthub.hub.HubServer;
import io.quanthub.hub.PreviewDemo;
import io.quanthub.inference.preview.DemoModel;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model page's Previews tab in headless Chromium, on a hub that renders previews with its in-process inference
 * node ({@link PreviewDemo}: the demo model with Q8_0 and Q2_K GGUFs): the grid shows the source's image and each
 * chosen level's, with the hub's PSNR and SSIM and the difference heatmaps. Screenshots go to
 * {@code target/screenshots}.
 */
class PreviewPageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path TARGET = Path.of(System.getProperty("basedir", ".")).resolve("target");
    private static final int WIDTH = 64;
    private static final int HEIGHT = 48;
    /** The demo model and its VAE without conditioning sets: nothing a preview can be rendered from. */
    private static final String WITHOUT_CONDITIONING = "demo/no-conditioning";
    private static final String SOURCE_CELL = ".preview-grid .preview-cell[data-role='source']";

    @TempDir
    static Path dir;
    static Browser browser;
    static HubServer hub;

    @BeforeAll
    static void startHubAndBrowser() throws Exception {
        browser = Browser.start(TARGET.resolve("browser"));
        hub = PreviewDemo.startHub(HubConfig.defaults(dir.resolve("hub")).withPort(0));
        String admin = Files.readString(hub.adminTokenFile()).strip();
        Path demo = dir.resolve("demo");
        PreviewDemo.push(hub, admin, demo);
        PreviewDemo.createAndCommit(hub, admin, WITHOUT_CONDITIONING, demo,
                List.of(DemoModel.MODEL_FILE, DemoModel.VAE_FILE, "flux-demo-Q8_0.gguf"));
        PreviewDemo.pushPromptDemo(hub, admin, dir.resolve("prompt-demo"));
    }

    /**
     * The demo as {@code serve --demo} publishes it, with its random-weight text encoders: the tab offers a prompt box
     * holding the example prompt, renders the prompt typed there, and each image shows the prompt the hub recorded;
     * the page says plainly that the demo's weights are random.
     */
    @Test
    void theDemoTakesAPromptAndEveryImageShowsIt() throws Exception {
        browser.setWindowSize(1440, 1000);
        browser.open(hub.url() + "/#/models/" + PreviewDemo.PROMPT_DEMO + "/previews");
        Browser.Element box = browser.await("textarea#preview-prompt");
        String script = Files.readString(Path.of("src/main/resources/webroot/js/views/previews.js"));
        java.util.regex.Matcher example = java.util.regex.Pattern.compile("const EXAMPLE_PROMPT = '([^']+)';")
                .matcher(script);
        assertTrue(example.find(), "previews.js has no EXAMPLE_PROMPT");
        assertEquals(example.group(1), browser.script("return document.querySelector('#preview-prompt').value;"),
                "the box holds the example prompt");
        assertEquals("Prompt", browser.text(browser.find("label[for='preview-prompt']")));
        assertTrue(browser.text(browser.await(".commit-message")).startsWith(DemoModel.RANDOM_WEIGHTS),
                "the page says the weights are random");

        browser.clear(box);
        browser.type(box, "a lighthouse at dusk");
        setNumber("#preview-seed", 1);
        setNumber("#preview-steps", 1);
        setNumber("#preview-width", WIDTH);
        setNumber("#preview-height", HEIGHT);
        browser.click(browser.find(".render-button"));
        browser.waitFor("the source and Q8_0 to be done", () -> {
            List<Browser.Element> cells = browser.findAll(".preview-grid .preview-cell");
            return cells.size() == 2 && cells.stream().allMatch(c -> "done".equals(browser.attribute(c, "data-state")))
                    ? true : null;
        });
        for (Browser.Element cell : browser.findAll(".preview-grid .preview-cell")) {
            JsonNode view = preview(browser.attribute(cell, "data-preview"));
            assertEquals("a lighthouse at dusk", view.get("prompt").asText(), view.toString());
            assertEquals(2, view.get("textEncoders").size(), view.toString());
        }
        assertEquals(List.of("“a lighthouse at dusk”", "“a lighthouse at dusk”"), browser.script(
                "return [...document.querySelectorAll('.preview-cell .preview-prompt')].map(p => p.textContent);"));
        assertImage(cell("Q8_0") + " .preview-image");
        String shared = (String) browser.script("return location.href;");
        assertTrue(shared.contains("prompt=a+lighthouse+at+dusk") || shared.contains("prompt=a%20lighthouse"), shared);
        browser.screenshot(TARGET.resolve("screenshots/previews-prompt-1440.png"), 1440, 1400);
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            if (browser != null) browser.close();
        } finally {
            if (hub != null) hub.close();
        }
    }

    @Test
    void gridComparesChosenLevelsWithTheSource() throws Exception {
        browser.setWindowSize(1440, 1000);
        browser.open(hub.url() + "/#/models/" + PreviewDemo.REPO);
        browser.click(browser.await("a.tab[href$='/previews']"));

        // The form: a conditioning set to pick, not a prompt to type.
        browser.await("select#preview-conditioning");
        assertEquals("Conditioning set", browser.text(browser.find("label[for='preview-conditioning']")));
        assertEquals(List.of("random-a", "random-b"), browser.script(
                "return [...document.querySelector('#preview-conditioning').options].map(o => o.value);"));
        assertTrue(browser.findAll(".previews textarea, .previews input:not([type]), .previews input[type='text'], "
                + "[name*='prompt' i], [id*='prompt' i]").isEmpty(), "no prompt box");
        assertEquals(List.of("Q8_0", "Q2_K"), quantChoices(), "the levels available as files, best first");

        setNumber("#preview-seed", 3); // anonymous callers get seeds 0..3 (PreviewLimits)
        setNumber("#preview-steps", 2);
        setNumber("#preview-width", WIDTH);
        setNumber("#preview-height", HEIGHT);
        recordProgressTexts();
        browser.click(browser.find(".render-button"));

        // The source first, then the levels in the table's order; every image loaded at the size asked for.
        browser.waitFor("every cell of the grid to be done", () -> {
            List<Browser.Element> cells = browser.findAll(".preview-grid .preview-cell");
            return cells.size() == 3 && cells.stream().allMatch(c -> "done".equals(browser.attribute(c, "data-state")))
                    ? true : null;
        });
        List<Browser.Element> cells = browser.findAll(".preview-grid .preview-cell");
        assertEquals("source", browser.attribute(cells.get(0), "data-role"));
        assertEquals("BF16 source", browser.text(browser.find(".preview-source h3")));
        assertEquals("Q8_0", browser.attribute(cells.get(1), "data-quant"));
        assertEquals("Q2_K", browser.attribute(cells.get(2), "data-quant"));
        for (String cell : List.of(SOURCE_CELL, cell("Q8_0"), cell("Q2_K"))) assertImage(cell + " .preview-image");
        assertImage(cell("Q8_0") + " .preview-heatmap img");
        assertImage(cell("Q2_K") + " .preview-heatmap img");
        assertTrue(browser.findAll(".preview-source .preview-heatmap").isEmpty(), "the source has no heatmap");

        // The numbers shown are the hub's, for the jobs the cells show; one reference for both levels.
        JsonNode q8 = preview(browser.attribute(cells.get(1), "data-preview"));
        JsonNode q2 = preview(browser.attribute(cells.get(2), "data-preview"));
        String reference = browser.attribute(cells.get(0), "data-preview");
        assertEquals(reference, q8.get("reference").asText());
        assertEquals(reference, q2.get("reference").asText());
        assertTrue(preview(reference).get("isReference").asBoolean());
        for (JsonNode view : List.of(q8, q2)) {
            assertEquals(3, view.get("seed").asLong());
            assertEquals(2, view.get("steps").asInt());
            assertEquals("random-a", view.get("conditioning").asText());
            String quant = view.get("quant").asText();
            String psnr = shown(quant, ".psnr");
            assertTrue(psnr.matches("\\d+\\.\\d\\d dB"), quant + " PSNR " + psnr);
            assertShows(view.get("psnr").asDouble(), psnr.replace(" dB", ""), quant + " PSNR");
            String ssim = shown(quant, ".ssim");
            assertTrue(ssim.matches("[01]\\.\\d{4,8}"), quant + " SSIM " + ssim);
            assertShows(view.get("ssim").asDouble(), ssim, quant + " SSIM");
            assertTrue(view.get("ssim").asDouble() == 1 || !ssim.startsWith("1.0"), "not shown as identical: " + ssim);
            String numbers = shown(quant, ".preview-numbers");
            assertTrue(numbers.matches("(?s).*\\b(\\d+ ms|\\d+\\.\\d+ s)$"), "render time shown: " + numbers);
        }
        double q8Psnr = Double.parseDouble(shown("Q8_0", ".psnr").replace(" dB", ""));
        double q2Psnr = Double.parseDouble(shown("Q2_K", ".psnr").replace(" dB", ""));
        assertTrue(q2Psnr < q8Psnr, "the coarser level drifts further: Q2_K " + q2Psnr + " dB, Q8_0 " + q8Psnr + " dB");

        // While rendering, the cells said where their job stood (how much of that is seen depends on the speed).
        List<Object> progress = recordedProgressTexts();
        assertFalse(progress.isEmpty(), "the cells showed their progress");
        for (Object text : progress) {
            assertTrue(String.valueOf(text).matches("Queued…|Rendering · step [12] of 2|Decoding|Done"), progress.toString());
        }

        // The address holds the selection: opened afresh, it shows the same grid without a click.
        String shared = (String) browser.script("return location.href;");
        assertTrue(shared.contains("quants=Q8_0%2CQ2_K") || shared.contains("quants=Q8_0,Q2_K"), shared);
        browser.screenshot(TARGET.resolve("screenshots/previews-1440.png"), 1440, 1600);
        browser.open(hub.url() + "/");
        browser.open(shared);
        browser.waitFor("the shared grid to show the same previews", () -> {
            Browser.Element cell = browser.find(".preview-cell[data-quant='Q2_K'][data-state='done']");
            return cell != null && q2.get("id").asText().equals(browser.attribute(cell, "data-preview")) ? true : null;
        });
        assertEquals("3", browser.script("return document.querySelector('#preview-seed').value;"));
        browser.screenshot(TARGET.resolve("screenshots/previews-375.png"), 375, 2400);

        // The Queue page lists preview renders next to conversions.
        browser.open(hub.url() + "/#/jobs");
        String q8Row = ".queue-finished tr[data-job='" + q8.get("id").asText() + "']";
        browser.await(q8Row + " .job-progress[data-state='done']");
        assertEquals("Preview", browser.text(browser.find(q8Row + " td[data-label='Job']")));
        assertEquals("Q8_0", browser.text(browser.find(q8Row + " td[data-label='Quant']")));
        assertEquals(PreviewDemo.REPO, browser.text(browser.find(q8Row + " th a")));
    }

    @Test
    void settingsOutsideTheApiLimitsAreRefusedOnThePage() {
        browser.setWindowSize(1440, 1000);
        browser.open(hub.url() + "/#/models/" + PreviewDemo.REPO + "/previews");
        browser.await("select#preview-conditioning");
        setNumber("#preview-width", 50);
        browser.click(browser.find(".render-button"));
        assertEquals("Width must be a multiple of 16 from 16 to 1024 pixels.",
                browser.waitFor("the form's message", () -> {
                    String text = browser.text(browser.find(".form-error"));
                    return text.isEmpty() ? null : text;
                }));
        assertTrue(browser.findAll(".preview-cell").isEmpty(), "nothing requested");
    }

    @Test
    void aModelThatCannotBePreviewedSaysWhy() {
        browser.open(hub.url() + "/#/models/" + WITHOUT_CONDITIONING + "/previews");
        String reason = browser.text(browser.await(".previews-unavailable"));
        assertTrue(reason.startsWith("This revision has neither text encoders nor a conditioning set"), reason);
        assertTrue(reason.contains("cannot take a prompt"), reason);
        assertTrue(browser.findAll(".preview-form").isEmpty(), "no form to fill in for nothing");
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /** Records in the page every progress line the grid's cells show, as they change. */
    private static void recordProgressTexts() {
        browser.script("""
                window.progressTexts = [];
                const record = () => {
                  for (const text of document.querySelectorAll('.preview-cell .job-text')) {
                    if (!window.progressTexts.includes(text.textContent)) window.progressTexts.push(text.textContent);
                  }
                };
                new MutationObserver(record).observe(document.body, {subtree: true, childList: true, characterData: true});
                """);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> recordedProgressTexts() {
        return (List<Object>) browser.script("return window.progressTexts;");
    }

    private static List<Object> quantChoices() {
        @SuppressWarnings("unchecked")
        List<Object> levels = (List<Object>) browser.script(
                "return [...document.querySelectorAll('.preview-quants input[type=checkbox]')].map(i => i.value);");
        return levels;
    }

    private static void setNumber(String css, int value) {
        Browser.Element input = browser.find(css);
        assertNotNull(input, "no " + css);
        browser.clear(input);
        browser.type(input, String.valueOf(value));
    }

    private static String cell(String quant) {
        return ".preview-grid .preview-cell[data-quant='" + quant + "']";
    }

    /** Checks that an image has loaded (a broken or missing one has no natural size) at the size asked for. */
    private static void assertImage(String css) {
        @SuppressWarnings("unchecked")
        Map<String, Object> size = (Map<String, Object>) browser.script("""
                const img = document.querySelector(arguments[0]);
                return img && {complete: img.complete, width: img.naturalWidth, height: img.naturalHeight};
                """, css);
        assertNotNull(size, "no image " + css);
        assertEquals(true, size.get("complete"), css);
        assertEquals(WIDTH, ((Number) size.get("width")).intValue(), css + " width");
        assertEquals(HEIGHT, ((Number) size.get("height")).intValue(), css + " height");
    }

    /** The number shown is the hub's value rounded to the digits shown. */
    private static void assertShows(double value, String shown, String what) {
        int decimals = shown.length() - shown.indexOf('.') - 1;
        assertEquals(new BigDecimal(value).setScale(decimals, RoundingMode.HALF_UP).toPlainString(),
                shown, what + " (the hub says " + value + ")");
    }

    private static String shown(String quant, String css) {
        Browser.Element e = browser.find(".preview-cell[data-quant='" + quant + "'] " + css);
        assertNotNull(e, "no " + css + " for " + quant);
        return browser.text(e).strip();
    }

    private static JsonNode preview(String id) throws Exception {
        assertNotNull(id, "the cell names no preview");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(hub.url() + "/api/previews/" + id)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }
}
