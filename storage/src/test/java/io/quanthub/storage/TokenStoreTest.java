package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** API tokens kept by hash, and the private flag of repositories: the records the hub's access control reads. */
class TokenStoreTest extends S3TestSupport {
    private static Digest hash(String secret) {
        return Digest.of(secret.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void tokensAreFoundByTheHashOfTheirSecretOnly() {
        TokenStore tokens = storage.tokens();
        String secret = "qh_secret-value-1";
        TokenStore.TokenInfo created =
                tokens.create(hash(secret), "ci", new TreeSet<>(List.of("write", "read")), "admin", "alice");

        TokenStore.TokenInfo read = tokens.get(hash(secret)).orElseThrow();
        assertEquals(created, read);
        assertEquals(List.of("read", "write"), List.copyOf(read.scopes()));
        assertTrue(tokens.get(hash("qh_other")).isEmpty());

        // Nothing in the bucket holds the secret itself.
        for (String key : keys("")) {
            assertFalse(key.contains(secret), key);
            String body = new String(objects().get(key).orElseThrow(), StandardCharsets.UTF_8);
            assertFalse(body.contains(secret), body);
        }
        assertThrows(StorageException.AlreadyExists.class,
                () -> tokens.create(hash(secret), "again", new TreeSet<>(List.of("read")), "admin", "alice"));
        assertEquals(List.of(new TokenStore.StoredToken(hash(secret), created)), tokens.list());

        // Revoked: gone for good.
        tokens.delete(hash(secret));
        assertTrue(tokens.get(hash(secret)).isEmpty());
        assertEquals(List.of(), tokens.list());
    }

    @Test
    void tokenRecordsWrittenBeforeOwnersExistedReadWithoutOne() {
        Digest old = hash("qh_old");
        objects().put("tokens/" + old.hex() + ".json", ("{\"created\":\"2026-01-01T00:00:00Z\",\"createdBy\":\"admin\","
                + "\"name\":\"ci\",\"scopes\":[\"read\"]}").getBytes(StandardCharsets.UTF_8));
        assertEquals(null, storage.tokens().get(old).orElseThrow().owner());
        storage.tokens().delete(old);
    }

    @Test
    void repositoriesArePublicUnlessCreatedPrivate() {
        RepoName open = RepoName.parse("acme/open");
        RepoName closed = RepoName.parse("acme/closed");
        storage.repos().create(open, "alice");
        storage.repos().create(closed, "alice", true);

        assertFalse(storage.repos().info(open).orElseThrow().isPrivate());
        assertTrue(storage.repos().info(closed).orElseThrow().isPrivate());
        String json = new String(objects().get("repos/acme/closed.json").orElseThrow(), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"private\":true"), json);

        // A record written before the flag existed reads as public.
        objects().put("repos/acme/old.json",
                "{\"created\":\"2026-01-01T00:00:00Z\",\"createdBy\":\"bob\",\"name\":\"acme/old\"}"
                        .getBytes(StandardCharsets.UTF_8));
        assertFalse(storage.repos().info(RepoName.parse("acme/old")).orElseThrow().isPrivate());
    }

    @Test
    void pingReachesTheBucket() {
        storage.ping();
    }
}
