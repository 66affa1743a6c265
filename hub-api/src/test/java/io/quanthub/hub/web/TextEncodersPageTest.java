package io.quanthub.hub.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quanthub.hub.HubConfig;
import io.quanthub.hub.HubServer;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model page lists the text encoders a model names, as headless Chromium shows it. */
class TextEncodersPageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    static Browser browser;
    static HubServer hub;
    static String admin;

    @BeforeAll
    static void start() throws Exception {
        browser = Browser.start(Path.of(System.getProperty("basedir", ".")).resolve("target/browser"));
        hub = HubServer.start(HubConfig.defaults(dir.resolve("hub")).withPort(0));
        admin = Files.readString(hub.adminTokenFile()).strip();
        Path data = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"));
        post("/api/repos", Map.of("name", "enc/clip", "private", false));
        commit("enc/clip", Map.of("clip_l.safetensors",
                Files.readAllBytes(data.resolve("text-encoders-tiny/clip_l.safetensors"))));
        post("/api/repos", Map.of("name", "demo/flux-named", "private", false));
        commit("demo/flux-named", Map.of("model.safetensors",
                Files.readAllBytes(data.resolve("flux-tiny/model.safetensors")), "quanthub.json",
                ("{\"text_encoders\": {\"clip_l\": \"enc/clip/clip_l.safetensors\", "
                        + "\"t5xxl\": \"enc/missing:Q8_0\"}}").getBytes(StandardCharsets.UTF_8)));
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
    void theVariantsTabListsTheNamedEncodersWithTheirStatus() throws Exception {
        JsonNode clip = getJson("/api/models/demo/flux-named/quants").get("textEncoders").get(0);
        browser.open(hub.url() + "/#/models/demo/flux-named");
        Browser.Element clipItem = browser.await(".text-encoders li[data-role='clip_l']");
        String text = browser.text(clipItem);
        assertTrue(text.startsWith("clip_l enc/clip/clip_l.safetensors — available"), text);
        assertTrue(text.contains(clip.get("digest").asText().substring("sha256:".length(), 19)), text);
        assertEquals("#/models/enc/clip", browser.attribute(browser.find(".text-encoders li[data-role='clip_l'] a"),
                "href").replaceFirst("^.*#", "#"));
        assertEquals("unavailable", browser.attribute(browser.find(".text-encoders li[data-role='t5xxl']"),
                "data-status"));
        assertTrue(browser.text(browser.find(".text-encoders")).contains("Named by the repository’s quanthub.json"));
    }

    private static void commit(String repo, Map<String, byte[]> files) throws Exception {
        Map<String, Object> entries = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(hub.url().resolve("/api/models/" + repo
                    + "/uploads")).header("Authorization", "Bearer " + admin)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(f.getValue())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, r.statusCode(), r.body());
            JsonNode answer = JSON.readTree(r.body());
            entries.put(f.getKey(), Map.of("digest", answer.get("digest").asText(), "size", answer.get("size").asLong()));
        }
        post("/api/models/" + repo + "/commits/main", Map.of("message", "add", "files", entries));
    }

    private static void post(String path, Object body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(hub.url().resolve(path))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), path + ": " + r.body());
    }

    private static JsonNode getJson(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(hub.url().resolve(path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }
}
