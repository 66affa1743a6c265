package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Closing the hub lets a download in flight finish, then refuses new connections. */
class ShutdownTest extends HubTestSupport {
    @Test
    void downloadInFlightFinishesDuringShutdown() throws Exception {
        // Bigger than what loopback socket buffers hold, so most of it is still to be sent when close() starts.
        byte[] data = randomBytes(5, 15 << 20);
        createRepo("bye/model", false);
        commitFiles("bye/model", "main", Map.of("big.bin", data));

        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(
                hub.url().resolve("/bye/model/resolve/main/big.bin")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long received;
        CompletableFuture<Void> closing;
        try (InputStream body = response.body()) {
            byte[] first = body.readNBytes(64 << 10);
            sha.update(first);
            received = first.length;
            HubServer server = hub;
            closing = CompletableFuture.runAsync(server::close);
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = body.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
                received += n;
            }
        }
        closing.get();
        assertEquals(data.length, received);
        assertEquals(sha256(data), HexFormat.of().formatHex(sha.digest()));
        assertThrows(ConnectException.class, () -> new Socket(hub.url().getHost(), hub.port()).close());
        hub.close(); // idempotent
    }
}
