package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.synthetic.SyntheticModel;
import io.quanthub.storage.Digest;
import io.quanthub.storage.HubStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Attacks on what the hub serves under a repository's name, each reproduced against the hub before it was fixed:
 * a private repository's GGUF served through a public one, a writer replacing the quants of everyone's models, and
 * a private blob read by committing its digest. (Conversions that a pushed file must not stop are in
 * {@link ConversionApiTest}.)
 */
class HubTrustTest extends HubTestSupport {
    static byte[] model;
    static byte[] q6k;

    @BeforeAll
    static void makeModel() throws IOException {
        Path source = dataDir.resolve("trust.safetensors");
        SyntheticModel.writeFlux(source, 2_000_000, 41);
        model = Files.readAllBytes(source);
        Path gguf = dataDir.resolve("trust-Q6_K.gguf");
        new Converter(2, true).convert(source, QuantLevel.Q6_K, gguf, Converter.ProgressListener.NONE);
        q6k = Files.readAllBytes(gguf);
    }

    static JsonNode row(String repo, String quant, String token) {
        for (JsonNode row : get("/api/models/" + repo + "/quants", token).json().get("quants")) {
            if (row.get("quant").asText().equals(quant)) return row;
        }
        throw new AssertionError("no row " + quant + " for " + repo);
    }

    @Test
    void aPrivateRepositorysGgufIsNeverServedThroughAPublicOne() {
        createRepo("alice/pub", false);
        commitFiles("alice/pub", "main", Map.of("model.safetensors", model));
        createRepo("alice/priv", true);
        commitFiles("alice/priv", "main", Map.of("model.safetensors", model, "x-Q6_K.gguf", q6k));

        assertEquals(404, get("/alice/pub/resolve/main/pub-Q6_K.gguf", null).status());
        JsonNode publicRow = row("alice/pub", "Q6_K", null);
        assertEquals("missing", publicRow.get("status").asText());
        assertFalse(publicRow.has("digest"), publicRow.toString());
        assertFalse(get("/api/models/alice/pub/quants", null).text().contains(sha256(q6k)));
        // In its own repository the file is listed, as pushed (the hub did not make it), to whoever may see it.
        JsonNode privateRow = row("alice/priv", "Q6_K", admin);
        assertEquals("pushed", privateRow.get("status").asText());
        assertEquals("x-Q6_K.gguf", privateRow.get("path").asText());
        assertFalse(privateRow.has("quality"), "only the converter's own levels carry its measures");
    }

    @Test
    void aQuantPushedToOneRepositoryIsNeverAVariantOfAnother() {
        createRepo("carol/pub", false);
        commitFiles("carol/pub", "main", Map.of("model.safetensors", model));
        String bob = userWithToken("bob", "read", "write");
        createRepo("bob/evil", false, bob);
        // Any bytes at all can be pushed as "the same model's Q6_K": the hub cannot tell them from a real one.
        JsonNode commit = commitFiles("bob/evil", "main", Map.of("model.safetensors", model, "evil-Q6_K.gguf", q6k),
                bob);
        assertEquals("Q6_K", commit.get("ggufs").get(0).get("quant").asText(), commit.toString());

        assertEquals("missing", row("carol/pub", "Q6_K", null).get("status").asText());
        assertEquals(404, get("/carol/pub/resolve/main/pub-Q6_K.gguf", null).status());
        JsonNode own = row("bob/evil", "Q6_K", null);
        assertEquals("pushed", own.get("status").asText());
        assertEquals("evil-Q6_K.gguf", own.get("path").asText());
        try (HubStorage storage = storage()) {
            assertTrue(storage.variants().list(new Digest(sha256(model))).isEmpty(),
                    "a pushed file registers no variant shared by source digest");
        }
    }

    @Test
    void knowingADigestIsNotEnoughToCommitItsBlob() {
        createRepo("dana/private", true);
        byte[] secret = randomBytes(99, 4096);
        commitFiles("dana/private", "main", Map.of("secret.bin", secret));
        Map<String, Object> stolen = Map.of("loot.bin", Map.of("digest", "sha256:" + sha256(secret), "size",
                secret.length));

        String mallory = userWithToken("mallory", "write"); // writes its own repositories, reads public ones
        createRepo("mallory/pub", false, mallory);
        Response refused = postJson("/api/models/mallory/pub/commits/main",
                Map.of("message", "steal", "files", stolen), mallory);
        assertTrue(refused.error(404).contains("is not uploaded to mallory/pub"), refused.text());
        assertEquals(404, get("/mallory/pub/resolve/main/loot.bin", null).status());

        // Whoever can read a repository holding the blob may commit it elsewhere without sending it again.
        createRepo("dana/copy", false);
        assertEquals(201, postJson("/api/models/dana/copy/commits/main",
                Map.of("message", "copy", "files", stolen), admin).status());

        // Sending every byte proves knowing them: an upload to the repository makes the blob committable there.
        createRepo("mallory/own", false, mallory);
        commitFiles("mallory/own", "main", Map.of("known.bin", secret), mallory);
    }
}
