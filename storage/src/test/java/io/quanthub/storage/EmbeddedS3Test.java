package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedS3Test {
    @TempDir
    Path dataDir;

    @Test
    void dataSurvivesARestartOnAnotherPortWithNewCredentials() throws IOException {
        byte[] data = "weights".getBytes();
        Blob blob;
        int firstPort;
        String firstSecret;
        try (EmbeddedS3 s3 = EmbeddedS3.start(dataDir);
             HubStorage storage = HubStorage.open(s3.settings("quanthub"))) {
            assertEquals("127.0.0.1", s3.endpoint().getHost());
            firstPort = s3.port();
            firstSecret = s3.secretKey();
            blob = storage.blobs().put(new ByteArrayInputStream(data), 100);
        }
        assertTrue(Files.isDirectory(dataDir.resolve("quanthub")), "the bucket is a folder of the data dir");

        int port = freePort();
        try (EmbeddedS3 s3 = EmbeddedS3.start(dataDir, port);
             HubStorage storage = HubStorage.open(s3.settings("quanthub"))) {
            assertEquals(port, s3.port());
            assertFalse(s3.secretKey().equals(firstSecret), "fresh credentials per start");
            try (InputStream in = storage.blobs().open(blob.digest())) {
                assertArrayEquals(data, in.readAllBytes());
            }
            // Requests signed with the wrong secret are refused.
            S3Settings wrong = new S3Settings(s3.endpoint(), "us-east-1", "quanthub", s3.accessKey(), firstSecret);
            var e = assertThrows(StorageException.class, () -> HubStorage.open(wrong));
            assertTrue(e.getMessage().contains("403"), e.getMessage());
        }
        assertTrue(firstPort > 0);
    }

    @Test
    void aTakenPortIsAClearError() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            var e = assertThrows(StorageException.class, () -> EmbeddedS3.start(dataDir, taken.getLocalPort()));
            assertTrue(e.getMessage().contains(String.valueOf(taken.getLocalPort())), e.getMessage());
        }
    }

    @Test
    void settingsFromTheEnvironment() {
        assertEquals(Optional.empty(), S3Settings.fromEnvironment(Map.of()));
        S3Settings s = S3Settings.fromEnvironment(Map.of(
                "QUANTHUB_S3_ENDPOINT", "https://s3.eu-central-1.amazonaws.com",
                "QUANTHUB_S3_REGION", "eu-central-1",
                "QUANTHUB_S3_BUCKET", "models.example",
                "QUANTHUB_S3_ACCESS_KEY", "AKIAEXAMPLE",
                "QUANTHUB_S3_SECRET_KEY", "very-secret")).orElseThrow();
        assertEquals(new S3Settings(URI.create("https://s3.eu-central-1.amazonaws.com"), "eu-central-1",
                "models.example", "AKIAEXAMPLE", "very-secret"), s);
        assertFalse(s.toString().contains("very-secret"), s.toString());

        S3Settings defaults = S3Settings.fromEnvironment(Map.of("QUANTHUB_S3_ENDPOINT", "http://minio:9000",
                "QUANTHUB_S3_ACCESS_KEY", "a", "QUANTHUB_S3_SECRET_KEY", "b")).orElseThrow();
        assertEquals("us-east-1", defaults.region());
        assertEquals("quanthub", defaults.bucket());

        var missingKey = assertThrows(IllegalArgumentException.class, () -> S3Settings.fromEnvironment(
                Map.of("QUANTHUB_S3_ENDPOINT", "http://minio:9000", "QUANTHUB_S3_ACCESS_KEY", "a")));
        assertTrue(missingKey.getMessage().contains("QUANTHUB_S3_SECRET_KEY"), missingKey.getMessage());
        assertThrows(IllegalArgumentException.class, () -> S3Settings.fromEnvironment(Map.of(
                "QUANTHUB_S3_ENDPOINT", "ftp://x", "QUANTHUB_S3_ACCESS_KEY", "a", "QUANTHUB_S3_SECRET_KEY", "b")));
        assertThrows(IllegalArgumentException.class, () -> S3Settings.fromEnvironment(Map.of(
                "QUANTHUB_S3_ENDPOINT", "http://minio:9000", "QUANTHUB_S3_BUCKET", "Bad_Bucket",
                "QUANTHUB_S3_ACCESS_KEY", "a", "QUANTHUB_S3_SECRET_KEY", "b")));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
