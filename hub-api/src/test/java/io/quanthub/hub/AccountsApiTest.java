package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Accounts and ownership over real HTTP: tokens belong to users, a user writes only to its own namespace and its
 * organisations', and a private repository exists only for its namespace's members and hub administrators.
 */
class AccountsApiTest extends HubTestSupport {
    static Response createRepoAs(String token, String name, boolean isPrivate) {
        return postJson("/api/repos", Map.of("name", name, "private", isPrivate), token);
    }

    static Response uploadAs(String token, String repo, String text) {
        return send("PUT", "/api/models/" + repo + "/uploads", HttpRequest.BodyPublishers.ofString(text), token);
    }

    /** Uploads and commits one file with {@code token}; the commit's answer. */
    static Response pushAs(String token, String repo, String path, String text) {
        Response uploaded = uploadAs(token, repo, text);
        assertEquals(201, uploaded.status(), uploaded.text());
        return commitAs(token, repo, path, uploaded.json().get("digest").asText(), text.length());
    }

    static Response commitAs(String token, String repo, String path, String digest, int size) {
        return postJson("/api/models/" + repo + "/commits/main", Map.of("message", "add " + path,
                "files", Map.of(path, Map.of("digest", digest, "size", size))), token);
    }

    static List<String> ids(JsonNode array) {
        List<String> ids = new ArrayList<>();
        array.forEach(n -> ids.add(n.get("id").asText()));
        return ids;
    }

    /** Every read route of a repository answers 404 to the token, and lists leave it out. */
    static void assertInvisible(String repo, String token) {
        get("/api/models/" + repo, token).error(404);
        get("/api/models/" + repo + "/commits", token).error(404);
        get("/api/models/" + repo + "/quants", token).error(404);
        get("/" + repo + "/resolve/main/weights.txt", token).error(404);
        get("/api/models/" + repo + "/gguf/main/weights.txt", token).error(404);
        assertFalse(ids(get("/api/models?limit=1000", token).json()).contains(repo));
    }

    static void assertVisible(String repo, String token) {
        assertEquals(200, get("/api/models/" + repo, token).status());
        assertTrue(ids(get("/api/models?limit=1000", token).json()).contains(repo));
        Response file = get("/" + repo + "/resolve/main/weights.txt", token);
        assertEquals(200, file.status(), file.text());
    }

    @Test
    void aReadTokenSeesOnlyThePrivateRepositoriesOfItsUsersNamespaces() {
        String alice = userWithToken("alice1", "read", "write");
        String bob = userWithToken("bob1", "read", "write");
        assertEquals(201, createRepoAs(alice, "alice1/priv", true).status());
        assertEquals(201, pushAs(alice, "alice1/priv", "weights.txt", "alice's secret").status());
        assertEquals("alice1", get("/api/models/alice1/priv", alice).json().get("createdBy").asText());

        assertVisible("alice1/priv", alice);
        assertInvisible("alice1/priv", bob);
        assertInvisible("alice1/priv", token("bob1", "read"));
        assertInvisible("alice1/priv", null);
        assertVisible("alice1/priv", admin); // a hub administrator sees everything
    }

    @Test
    void nobodyWritesToAnotherUsersNamespace() {
        String alice = userWithToken("alice2", "read", "write");
        String bob = userWithToken("bob2", "read", "write");
        assertEquals(201, createRepoAs(alice, "alice2/pub", false).status());
        assertEquals(201, pushAs(alice, "alice2/pub", "weights.txt", "alice's model").status());

        assertTrue(createRepoAs(bob, "alice2/other", false).error(403).contains("namespace 'alice2'"));
        createRepoAs(bob, "unowned/x", false).error(403); // a namespace without an account: administrators only
        uploadAs(bob, "alice2/pub", "bob's bytes").error(403);
        String digest = uploadAs(alice, "alice2/pub", "bob's bytes").json().get("digest").asText();
        commitAs(bob, "alice2/pub", "evil.txt", digest, "bob's bytes".length()).error(403);
        assertEquals(1, get("/api/models/alice2/pub/commits", null).json().size());

        assertEquals(201, createRepoAs(bob, "bob2/own", false).status());
        assertEquals(201, pushAs(bob, "bob2/own", "weights.txt", "bob's model").status());
        assertEquals(201, createRepoAs(admin, "alice2/by-admin", false).status());
    }

    @Test
    void organisationMembersShareTheirNamespaceByRole() {
        String alice = userWithToken("alice3", "read", "write");
        String carol = userWithToken("carol3", "read", "write");
        String bob = userWithToken("bob3", "read", "write");
        assertEquals(201, postJson("/api/orgs", Map.of("name", "acme3"), admin).status());
        Response member = send("PUT", "/api/orgs/acme3/members/alice3", HttpRequest.BodyPublishers.noBody(), admin);
        assertEquals(200, member.status(), member.text());
        assertEquals("write", member.json().get("role").asText());
        assertEquals(200, putJson("/api/orgs/acme3/members/carol3", Map.of("role", "read"), admin).status());
        putJson("/api/orgs/acme3/members/carol3", Map.of("role", "owner"), admin).error(400);

        assertEquals(201, createRepoAs(alice, "acme3/secret", true).status());
        assertEquals(201, pushAs(alice, "acme3/secret", "weights.txt", "acme's secret").status());
        assertVisible("acme3/secret", alice);
        assertVisible("acme3/secret", carol);
        assertInvisible("acme3/secret", bob);
        assertVisible("acme3/secret", admin);
        // The read role sees but does not write.
        createRepoAs(carol, "acme3/carols", false).error(403);
        uploadAs(carol, "acme3/secret", "carol's bytes").error(403);
        createRepoAs(bob, "acme3/bobs", false).error(403);

        JsonNode me = get("/api/whoami", carol).json();
        assertEquals("carol3", me.get("user").asText());
        assertEquals("read", me.get("orgs").get("acme3").asText());
        assertFalse(me.get("admin").asBoolean());
        JsonNode orgs = get("/api/orgs", admin).json();
        assertTrue(orgs.toString().contains("\"members\":{\"alice3\":\"write\",\"carol3\":\"read\"}"), orgs.toString());

        // Removed from the organisation: the repository is gone for carol at once on this hub.
        assertEquals(200, send("DELETE", "/api/orgs/acme3/members/carol3", HttpRequest.BodyPublishers.noBody(),
                admin).status());
        assertInvisible("acme3/secret", carol);
    }

    @Test
    void onlyHubAdministratorsManageAccounts() {
        String dave = userWithToken("dave4", "read", "write");
        postJson("/api/users", Map.of("name", "mallory4"), dave).error(403);
        postJson("/api/orgs", Map.of("name", "evil4"), dave).error(403);
        get("/api/users", dave).error(403);
        putJson("/api/orgs/acme4/members/dave4", Map.of("role", "write"), dave).error(403);
        postJson("/api/users", Map.of("name", "x4"), null).error(401);
        get("/api/whoami", null).error(401);
        // An admin scope means nothing for a user who is no hub administrator, and such a token cannot be made.
        postJson("/api/tokens", Map.of("name", "root", "scopes", List.of("admin"), "user", "dave4"), admin).error(400);
        // Users and organisations share one namespace.
        postJson("/api/orgs", Map.of("name", "dave4"), admin).error(409);
        postJson("/api/users", Map.of("name", "admin"), admin).error(409);
        postJson("/api/users", Map.of("name", "../x"), admin).error(400);

        JsonNode me = get("/api/whoami", admin).json();
        assertEquals("admin", me.get("user").asText());
        assertTrue(me.get("admin").asBoolean());

        assertTrue(send("DELETE", "/api/users/admin", HttpRequest.BodyPublishers.noBody(), admin).error(400)
                .contains("itself"));

        // A deleted user's tokens stop working.
        Response deleted = send("DELETE", "/api/users/dave4", HttpRequest.BodyPublishers.noBody(), admin);
        assertEquals(200, deleted.status(), deleted.text());
        assertEquals(1, deleted.json().get("tokensRevoked").asInt());
        get("/api/whoami", dave).error(401);
    }

    @Test
    void usersManageTheirOwnTokensWithoutEverSeeingASecretAgain() {
        String erin = userWithToken("erin5", "read", "write");
        String frank = userWithToken("frank5", "read", "write");
        Response made = postJson("/api/tokens", Map.of("name", "laptop", "scopes", List.of("read")), erin);
        assertEquals(201, made.status(), made.text());
        String laptop = made.json().get("token").asText();
        assertEquals("erin5", made.json().get("user").asText());
        assertEquals("erin5", get("/api/whoami", laptop).json().get("user").asText());

        // No token grants more than it has, nor makes tokens for others.
        postJson("/api/tokens", Map.of("name", "up", "scopes", List.of("write")), laptop).error(403);
        postJson("/api/tokens", Map.of("name", "x", "scopes", List.of("read"), "user", "frank5"), erin).error(403);

        Response listed = get("/api/tokens", erin);
        assertEquals(200, listed.status(), listed.text());
        List<String> names = new ArrayList<>();
        listed.json().forEach(t -> names.add(t.get("name").asText()));
        assertEquals(List.of("erin5-2", "laptop").stream().sorted().toList(), names.stream().sorted().toList());
        for (String secret : List.of(erin, laptop)) {
            assertFalse(listed.text().contains(secret), listed.text());
            assertFalse(listed.text().contains(sha256(secret.getBytes(StandardCharsets.UTF_8))), listed.text());
        }
        listed.json().forEach(t -> assertEquals(12, t.get("id").asText().length()));
        assertFalse(get("/api/tokens", frank).text().contains("laptop"));
        get("/api/tokens?user=erin5", frank).error(403);
        assertTrue(get("/api/tokens?user=erin5", admin).text().contains("laptop"));

        // frank cannot revoke erin's token; erin revokes by name, and it stops working at once on this hub.
        send("DELETE", "/api/tokens/laptop", HttpRequest.BodyPublishers.noBody(), frank).error(404);
        send("DELETE", "/api/tokens/laptop", HttpRequest.BodyPublishers.noBody(), laptop).error(403); // read only
        assertEquals(200, get("/api/whoami", laptop).status());
        Response revoked = send("DELETE", "/api/tokens/laptop", HttpRequest.BodyPublishers.noBody(), erin);
        assertEquals(200, revoked.status(), revoked.text());
        get("/api/whoami", laptop).error(401);
        // By id too.
        String id = get("/api/tokens", erin).json().get(0).get("id").asText();
        assertEquals(200, send("DELETE", "/api/tokens/" + id, HttpRequest.BodyPublishers.noBody(), erin).status());
        get("/api/whoami", erin).error(401);
    }

    @Test
    void tokenRecordsWithoutAnOwnerBelongToTheBootstrapAdministrator() throws Exception {
        createRepo("legacy/secret", true);
        commitFiles("legacy/secret", "main", Map.of("weights.txt", "old secret".getBytes()));
        // A record as the hub wrote it before tokens had owners.
        String secret = Access.newSecret();
        byte[] record = ("{\"created\":\"2026-01-01T00:00:00Z\",\"createdBy\":\"admin\",\"name\":\"old-ci\","
                + "\"scopes\":[\"read\"]}").getBytes(StandardCharsets.UTF_8);
        minio().putObject(PutObjectArgs.builder().bucket(bucket.bucket())
                .object("tokens/" + Access.hash(secret).hex() + ".json")
                .stream(new ByteArrayInputStream(record), (long) record.length, -1L).build()).get();

        JsonNode me = get("/api/whoami", secret).json();
        assertEquals("admin", me.get("user").asText());
        assertEquals("old-ci", me.get("token").asText());
        assertFalse(me.get("admin").asBoolean()); // no admin scope: no administration
        assertVisible("legacy/secret", secret); // what every read token could see before
        uploadAs(secret, "legacy/secret", "x").error(403);
        assertTrue(get("/api/tokens", admin).text().contains("old-ci"));
    }

    static Response putJson(String path, Object body, String token) {
        try {
            return send("PUT", path, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)), token,
                    "Content-Type", "application/json");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
