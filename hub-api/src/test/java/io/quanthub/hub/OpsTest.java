package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Health, readiness, metrics, the admin token, static files. */
class OpsTest extends HubTestSupport {
    @Test
    void healthAndReadiness() {
        assertEquals("ok", get("/health", null).json().get("status").asText());
        assertEquals("ready", get("/ready", null).json().get("status").asText());
    }

    @Test
    void metricsHaveVertxHttpAndHubCounters() {
        createRepo("ops/metrics", false);
        commitFiles("ops/metrics", "main", Map.of("a.bin", randomBytes(9, 1000)));
        assertEquals(200, get("/ops/metrics/resolve/main/a.bin", null).status());

        Response metrics = get("/metrics", null);
        assertEquals(200, metrics.status());
        String text = metrics.text();
        assertTrue(text.contains("vertx_http_server_requests_total{"), "no Vert.x HTTP metrics");
        assertTrue(text.contains("quanthub_uploads_total{result=\"stored\"}"), "no upload counter");
        assertTrue(TransferTest.metricValue("quanthub_served_bytes_total") >= 1000);
        assertTrue(TransferTest.metricValue("quanthub_uploaded_bytes_total") >= 1000);
    }

    @Test
    void adminTokenIsOwnerOnlyAndSurvivesARestart() throws Exception {
        assertTrue(hub.adminTokenCreated());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(hub.adminTokenFile())));
        assertTrue(admin.startsWith("hf_"));
        assertEquals(hub.adminTokenFile(), dataDir.resolve("hub").resolve("admin-token"));

        // A second hub on the same data folder and bucket keeps the token.
        try (HubServer again = HubServer.start(config(dataDir.resolve("hub")))) {
            assertFalse(again.adminTokenCreated());
            assertEquals(admin, Files.readString(again.adminTokenFile()).strip());
        }
        // A hub on a fresh bucket with the same data folder registers the same token there.
        try (HubServer fresh = HubServer.start(config(dataDir.resolve("hub")).withS3(s3.settings("fresh-bucket")))) {
            assertFalse(fresh.adminTokenCreated());
            Response r = postTo(fresh, "/api/repos", "{\"name\":\"fresh/repo\"}");
            assertEquals(201, r.status(), r.text());
        }
    }

    @Test
    void aTakenPortIsAOneLineError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> HubServer.start(config(dataDir.resolve("hub")).withPort(hub.port())));
        assertTrue(e.getMessage().startsWith("cannot start the hub on 127.0.0.1:" + hub.port() + ": "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(another hub on this machine? choose another --port, or 0 for a free one)"),
                e.getMessage());
        assertEquals(200, get("/health", null).status()); // the running hub is unharmed
    }

    @Test
    void webCatalogIsServedFromTheClasspath() {
        Response index = get("/", null);
        assertEquals(200, index.status());
        assertTrue(index.header("Content-Type").startsWith("text/html"));
        assertTrue(index.text().contains("<html"), index.text());
    }

    @Test
    void webCatalogIsRevalidatedOnEveryUseSoAnUpgradeShowsAtOnce() {
        for (String path : List.of("/", "/js/app.js")) {
            Response first = get(path, null);
            assertEquals(200, first.status(), path);
            assertEquals("no-cache", first.header("Cache-Control"), path);
            String lastModified = first.header("Last-Modified");
            assertNotNull(lastModified, path);
            Response again = get(path, null, "If-Modified-Since", lastModified);
            assertEquals(304, again.status(), path);
            assertEquals(0, again.body().length, path);
        }
    }

    private static Response postTo(HubServer server, String path, String json) throws Exception {
        java.net.http.HttpResponse<byte[]> response = HTTP.send(java.net.http.HttpRequest.newBuilder(
                        server.url().resolve(path)).header("Authorization", "Bearer " + admin)
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        return new Response(response.statusCode(), response);
    }
}
