package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which text encoders a model uses: named by the repository's quanthub.json or the admin's default for its
 * architecture, resolved per caller in the repository details and the quant table, whose VRAM estimates count their
 * real sizes.
 */
class TextEncodersApiTest extends HubTestSupport {
    static final Path DATA = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"));
    static byte[] clip;
    static byte[] t5;

    @BeforeAll
    static void startHub() throws IOException {
        startHub(c -> c.withTextEncoderDefaults(Map.of("flux", Map.of("clip_l", "enc/clip/clip_l.safetensors"))));
        clip = Files.readAllBytes(DATA.resolve("text-encoders-tiny/clip_l.safetensors"));
        t5 = Files.readAllBytes(DATA.resolve("text-encoders-tiny/t5.safetensors"));
        byte[] flux = Files.readAllBytes(DATA.resolve("flux-tiny/model.safetensors"));
        createRepo("enc/clip", false);
        commitFiles("enc/clip", "main", Map.of("clip_l.safetensors", clip));
        createRepo("enc/t5", false);
        commitFiles("enc/t5", "main", Map.of("t5.safetensors", t5, "t5_tokenizer/tokenizer.json",
                Files.readAllBytes(DATA.resolve("text-encoders-tiny/t5_tokenizer/tokenizer.json"))));
        createRepo("secret/t5", true);
        commitFiles("secret/t5", "main", Map.of("t5.safetensors", t5));

        createRepo("flux/named", false);
        commitFiles("flux/named", "main", Map.of("model.safetensors", flux, "quanthub.json", json(
                "{\"text_encoders\": {\"clip_l\": \"enc/clip/clip_l.safetensors\", \"t5xxl\": \"enc/t5:q8_0\"}}")));
        createRepo("flux/defaulted", false);
        commitFiles("flux/defaulted", "main", Map.of("model.safetensors", flux));
        createRepo("flux/private-encoder", false);
        commitFiles("flux/private-encoder", "main", Map.of("model.safetensors", flux, "quanthub.json",
                json("{\"text_encoders\": {\"t5xxl\": \"secret/t5/t5.safetensors\"}}")));
    }

    static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static JsonNode encoder(JsonNode encoders, String role) {
        for (JsonNode e : encoders) if (e.get("role").asText().equals(role)) return e;
        throw new AssertionError("no text encoder " + role + " in " + encoders);
    }

    @Test
    void aRepositoryNamesItsEncodersAndTheQuantTableCountsTheirRealSizes() {
        JsonNode details = get("/api/models/flux/named", null).json();
        JsonNode encoders = details.get("textEncoders");
        assertEquals(2, encoders.size(), encoders.toString());
        JsonNode clipL = encoder(encoders, "clip_l");
        assertEquals("repository", clipL.get("origin").asText());
        assertEquals("available", clipL.get("status").asText());
        assertEquals("clip_l.safetensors", clipL.get("path").asText());
        assertEquals("sha256:" + sha256(clip), clipL.get("digest").asText());
        assertEquals(clip.length, clipL.get("size").asLong());
        // The T5 level is not made yet: the hub can make it, and its planned size is the quant table's.
        JsonNode t5xxl = encoder(encoders, "t5xxl");
        assertEquals("producible", t5xxl.get("status").asText());
        assertEquals("Q8_0", t5xxl.get("quant").asText());
        assertFalse(t5xxl.has("digest"), t5xxl.toString());
        long t5Q8 = ConversionApiTest.row(get("/api/models/enc/t5/quants", null).json(), "Q8_0").get("size").asLong();
        assertEquals(t5Q8, t5xxl.get("size").asLong());

        JsonNode table = get("/api/models/flux/named/quants", null).json();
        assertEquals(encoders, table.get("textEncoders"));
        JsonNode q8 = ConversionApiTest.row(table, "Q8_0");
        long size = q8.get("size").asLong();
        long fluxVae = 340_000_000L;
        assertEquals(VramEstimate.forWeights(size), q8.get("vram").get("modelOnly").asLong());
        assertEquals(VramEstimate.forWeights(size + clip.length + t5Q8 + fluxVae),
                q8.get("vram").get("withTextEncodersAndVae").asLong(), "the named encoders' real sizes");
    }

    @Test
    void aRepositoryThatNamesNoneUsesTheArchitecturesDefault() {
        JsonNode encoders = get("/api/models/flux/defaulted/quants", null).json().get("textEncoders");
        assertEquals(1, encoders.size(), encoders.toString());
        JsonNode clipL = encoder(encoders, "clip_l");
        assertEquals("default", clipL.get("origin").asText());
        assertEquals("enc/clip/clip_l.safetensors", clipL.get("ref").asText());
        assertEquals("sha256:" + sha256(clip), clipL.get("digest").asText());
    }

    @Test
    void anEncoderInAPrivateRepositoryShowsOnlyToWhoMaySeeIt() {
        JsonNode anonymous = encoder(get("/api/models/flux/private-encoder", null).json().get("textEncoders"),
                "t5xxl");
        assertEquals("unavailable", anonymous.get("status").asText());
        assertFalse(anonymous.has("digest") || anonymous.has("size") || anonymous.has("path"), anonymous.toString());
        // The same answer as for a repository that does not exist: nothing tells them apart.
        commitFiles("flux/private-encoder", "main", Map.of("quanthub.json",
                json("{\"text_encoders\": {\"t5xxl\": \"nobody/nothing/t5.safetensors\"}}")));
        JsonNode missing = encoder(get("/api/models/flux/private-encoder", null).json().get("textEncoders"),
                "t5xxl");
        assertEquals("unavailable", missing.get("status").asText());
        commitFiles("flux/private-encoder", "main", Map.of("quanthub.json",
                json("{\"text_encoders\": {\"t5xxl\": \"secret/t5/t5.safetensors\"}}")));
        JsonNode admins = encoder(get("/api/models/flux/private-encoder", admin).json().get("textEncoders"), "t5xxl");
        assertEquals("available", admins.get("status").asText());
        assertEquals("sha256:" + sha256(t5), admins.get("digest").asText());
        // Without its encoders' sizes the VRAM estimate falls back to the architecture's usual encoders.
        JsonNode q8 = ConversionApiTest.row(get("/api/models/flux/private-encoder/quants", null).json(), "Q8_0");
        assertEquals(VramEstimate.forWeights(q8.get("size").asLong() + QuantsApiTest.FLUX_COMPANIONS),
                q8.get("vram").get("withTextEncodersAndVae").asLong());
    }

    @Test
    void anInvalidQuanthubJsonIsRefusedWhenCommitted() {
        createRepo("flux/invalid", false);
        for (String[] bad : new String[][] {
                {"[1, 2]", "quanthub.json is not a JSON object"},
                {"{\"text_encoders\": [\"a/b\"]}", "text_encoders must be an object"},
                {"{\"text_encoders\": {\"T5\": \"a/b\"}}", "role 'T5' must be"},
                {"{\"text_encoders\": {\"t5xxl\": \"a/b:Q9_K\"}}", "unknown quantization type 'Q9_K'"},
                {"{\"text_encoders\": {\"t5xxl\": \"just-a-name\"}}", "must be owner/name"},
                {"{\"text_encoders\": {\"t5xxl\": \"a/b/../../x\"}}", "text encoder t5xxl"}}) {
            Map<String, Object> files = Map.of("quanthub.json", Map.of("digest", upload("flux/invalid", json(bad[0])),
                    "size", bad[0].length()));
            Response r = postJson("/api/models/flux/invalid/commits/main", Map.of("message", "x", "files", files),
                    admin);
            String error = r.error(422);
            assertTrue(error.contains(bad[1]), bad[0] + " -> " + error);
        }
        assertFalse(get("/api/models/flux/invalid", null).json().get("files").elements().hasNext(),
                "nothing was committed");
    }
}
