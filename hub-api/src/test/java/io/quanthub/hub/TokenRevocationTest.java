package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two hubs on one bucket (replicas behind a load balancer): a token revoked through one stops working on the other
 * within a second, although the other had just looked it up and remembered it.
 */
class TokenRevocationTest extends HubTestSupport {
    @Test
    void aRevokedTokenStopsWorkingOnEveryReplicaWithinASecond() throws Exception {
        try (HubServer replica = HubServer.start(config(dataDir.resolve("replica")))) {
            createRepo("rev/private", true);
            assertEquals(201, postJson("/api/users", Map.of("name", "rev"), admin).status());
            String token = postJson("/api/tokens", Map.of("name", "leaked", "scopes", List.of("read", "write"),
                    "user", "rev"), admin).json().get("token").asText();
            String onReplica = replica.url().resolve("/api/models/rev/private").toString();
            assertEquals(200, get("/api/models/rev/private", token).status());
            assertEquals(200, get(onReplica, token).status()); // the replica now remembers the token

            Response revoked = send("DELETE", "/api/tokens/leaked", HttpRequest.BodyPublishers.noBody(), token);
            assertEquals(200, revoked.status(), revoked.text());
            get("/api/models/rev/private", token).error(401); // at once where it was revoked

            // The contract is one second: poll the replica until a little past it, then expect it to refuse.
            long revokedAt = System.nanoTime();
            long deadline = revokedAt + Access.CACHE_NANOS + TimeUnit.MILLISECONDS.toNanos(100);
            Response answer = get(onReplica, token);
            while (answer.status() == 200 && System.nanoTime() - deadline < 0) {
                Thread.sleep(20);
                answer = get(onReplica, token);
            }
            System.out.printf("replica refused the revoked token after %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - revokedAt));
            assertEquals("unknown or revoked API token", answer.error(401));
        }
    }
}
