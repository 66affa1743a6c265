package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.storage.Digest;
import io.quanthub.storage.HubStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The quant table, variant registration and the GGUF viewer, on the tiny Flux model of the shared test data. */
class QuantsApiTest extends HubTestSupport {
    static final Path SOURCE = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
            "flux-tiny", "model.safetensors");
    /** The T5-XXL, CLIP-L and VAE bytes a Flux model runs with (VramEstimate). */
    static final long FLUX_COMPANIONS = 9_500_000_000L + 250_000_000L + 340_000_000L;

    static byte[] source;
    static Map<QuantLevel, Path> converted = new HashMap<>();

    @BeforeAll
    static void convertAndPush() throws IOException {
        source = Files.readAllBytes(SOURCE);
        Converter converter = new Converter(2, true);
        for (QuantLevel level : List.of(QuantLevel.Q8_0, QuantLevel.Q4_K_M, QuantLevel.Q4_0)) {
            Path out = dataDir.resolve("flux-tiny-" + level + ".gguf");
            converter.convert(SOURCE, level, out, Converter.ProgressListener.NONE);
            converted.put(level, out);
        }
        createRepo("flux/tiny", false);
        JsonNode commit = commitFiles("flux/tiny", "main", Map.of(
                "model.safetensors", source,
                "flux-tiny-Q8_0.gguf", Files.readAllBytes(converted.get(QuantLevel.Q8_0))));
        JsonNode ggufs = commit.get("ggufs");
        assertEquals(1, ggufs.size(), commit.toString());
        assertEquals("Q8_0", ggufs.get(0).get("quant").asText());
        assertEquals("flux-tiny-Q8_0.gguf", ggufs.get(0).get("path").asText());
    }

    /** Tensor bytes per parameter of a GGUF file, in bits. */
    private static double bitsPerWeight(Path gguf) throws IOException {
        try (GgufFile file = GgufFile.open(gguf)) {
            long bytes = file.tensors().stream().mapToLong(TensorInfo::byteSize).sum();
            long params = file.tensors().stream().mapToLong(TensorInfo::elementCount).sum();
            return bytes * 8.0 / params;
        }
    }

    private static Map<String, JsonNode> rowsByQuant(JsonNode table) {
        Map<String, JsonNode> rows = new HashMap<>();
        table.get("quants").forEach(row -> rows.put(row.get("quant").asText(), row));
        return rows;
    }

    @Test
    void quantTableShowsAvailableAndMissingLevelsWithSizes() throws IOException {
        JsonNode table = get("/api/models/flux/tiny/quants", null).json();
        assertEquals("flux", table.get("architecture").asText());
        assertEquals("Q8_0", table.get("default").asText());
        assertEquals("model.safetensors", table.get("source").get("path").asText());
        assertEquals("BF16", table.get("source").get("dtype").asText(), "flux-tiny's weights are BF16, as Flux's");
        Map<String, JsonNode> rows = rowsByQuant(table);
        assertEquals(QuantLevel.values().length, rows.size());

        byte[] q8 = Files.readAllBytes(converted.get(QuantLevel.Q8_0));
        JsonNode available = rows.get("Q8_0");
        assertEquals("pushed", available.get("status").asText(), "a file of the repository, not made by the hub");
        assertFalse(available.get("sizeEstimated").asBoolean());
        assertEquals(q8.length, available.get("size").asLong());
        assertEquals("flux-tiny-Q8_0.gguf", available.get("path").asText());
        assertEquals("sha256:" + sha256(q8), available.get("digest").asText());
        assertEquals((long) Math.ceil(q8.length / 0.7), available.get("vram").get("modelOnly").asLong());
        assertEquals((long) Math.ceil((q8.length + FLUX_COMPANIONS) / 0.7),
                available.get("vram").get("withTextEncodersAndVae").asLong());

        // Missing levels are estimated by planning the conversion of the source: the plan is the converter's own,
        // so the estimate is the size of the file it writes.
        for (QuantLevel level : List.of(QuantLevel.Q4_K_M, QuantLevel.Q4_0)) {
            JsonNode missing = rows.get(level.name());
            assertEquals("missing", missing.get("status").asText());
            assertTrue(missing.get("sizeEstimated").asBoolean());
            assertEquals(Files.size(converted.get(level)), missing.get("size").asLong(), level.name());
            assertFalse(missing.has("path"));
            assertEquals(bitsPerWeight(converted.get(level)), missing.get("bitsPerWeight").asDouble(), 1e-9);
        }
        assertEquals(bitsPerWeight(converted.get(QuantLevel.Q8_0)), available.get("bitsPerWeight").asDouble(), 1e-9);
        assertTrue(rows.get("F16").get("size").asLong() > rows.get("Q4_K_M").get("size").asLong());

        JsonNode details = get("/api/models/flux/tiny", null).json();
        assertEquals(List.of("flux-tiny-Q8_0.gguf"), List.of(details.get("ggufs").get(0).asText()));
        assertEquals("flux", details.get("architecture").asText());
        assertEquals(table.get("parameters").asLong(), details.get("parameters").asLong());
        assertEquals("Q8_0", details.get("quants").get(0).asText());
        List<String> byQuant = new ArrayList<>();
        get("/api/models?quant=q8_0&architecture=flux", null).json().forEach(r -> byQuant.add(r.get("id").asText()));
        assertTrue(byQuant.contains("flux/tiny"), byQuant.toString());
        assertTrue(get("/api/models?quant=Q2_K", null).json().isEmpty());
    }

    @Test
    void aPushedGgufRegistersNoVariant() {
        try (HubStorage storage = storage()) {
            assertEquals(List.of(), storage.variants().list(new Digest(sha256(source))),
                    "variants are what the hub's converter made; a pushed file belongs to its repository alone");
        }
    }

    @Test
    void ggufOnlyRepositoryEstimatesFromItsTensorTable() throws IOException {
        createRepo("flux/q4-only", false);
        byte[] q4 = Files.readAllBytes(converted.get(QuantLevel.Q4_0));
        commitFiles("flux/q4-only", "main", Map.of("flux-Q4_0.gguf", q4));
        JsonNode table = get("/api/models/flux/q4-only/quants", null).json();
        assertEquals("Q4_0", table.get("default").asText());
        assertFalse(table.has("source"));
        Map<String, JsonNode> rows = rowsByQuant(table);
        assertEquals("pushed", rows.get("Q4_0").get("status").asText());
        assertEquals(q4.length, rows.get("Q4_0").get("size").asLong());
        JsonNode q8 = rows.get("Q8_0");
        assertEquals("missing", q8.get("status").asText());
        assertTrue(q8.get("sizeEstimated").asBoolean());
        long actualQ8 = Files.size(converted.get(QuantLevel.Q8_0));
        // A rough estimate (no per-tensor rules), but in the right place.
        assertTrue(Math.abs(q8.get("size").asLong() - actualQ8) < actualQ8 / 5, q8 + " vs " + actualQ8);
        try (HubStorage storage = storage()) {
            assertEquals(List.of(), storage.variants().list(new Digest(sha256(q4))));
        }
    }

    @Test
    void ggufViewerReturnsTheTensorTable() throws IOException {
        JsonNode viewer = get("/api/models/flux/tiny/gguf/main/flux-tiny-Q8_0.gguf", null).json();
        try (GgufFile gguf = GgufFile.open(converted.get(QuantLevel.Q8_0))) {
            assertEquals(gguf.tensors().size(), viewer.get("tensorCount").asInt());
            assertEquals(gguf.tensors().size(), viewer.get("tensors").size());
            for (int i = 0; i < gguf.tensors().size(); i++) {
                TensorInfo expected = gguf.tensors().get(i);
                JsonNode t = viewer.get("tensors").get(i);
                assertEquals(expected.name(), t.get("name").asText());
                assertEquals(expected.type().name(), t.get("type").asText());
                assertEquals(expected.byteSize(), t.get("bytes").asLong());
                long[] shape = new long[t.get("shape").size()];
                for (int d = 0; d < shape.length; d++) shape[d] = t.get("shape").get(d).asLong();
                assertArrayEquals(expected.shape(), shape);
            }
            assertEquals(gguf.dataOffset(), viewer.get("dataOffset").asLong());
        }
        assertEquals("flux", viewer.get("architecture").asText());
        assertEquals("Q8_0", viewer.get("quant").asText());
        assertEquals("flux", viewer.get("metadata").get("general.architecture").asText());
        assertEquals(QuantLevel.Q8_0.ftypeId, viewer.get("metadata").get("general.file_type").asInt());
        assertTrue(viewer.get("types").has("Q8_0"));

        get("/api/models/flux/tiny/gguf/main/model.safetensors", null).error(422);
        get("/api/models/flux/tiny/gguf/main/none.gguf", null).error(404);
    }

    @Test
    void aFileNamedGgufMustBeOne() {
        createRepo("flux/broken", false);
        String digest = upload("flux/broken", "not a gguf at all".getBytes());
        Response r = postJson("/api/models/flux/broken/commits/main", Map.of("message", "m",
                "files", Map.of("model.gguf", Map.of("digest", digest, "size", 17))), admin);
        assertTrue(r.error(422).startsWith("model.gguf is not a valid GGUF file: not a GGUF file"), r.text());
        assertNull(get("/api/models/flux/broken", null).json().get("sha"));
    }
}
