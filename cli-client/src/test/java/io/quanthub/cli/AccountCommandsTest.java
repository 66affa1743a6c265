package io.quanthub.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code quanthub admin user|org ...} and {@code quanthub token create|list|revoke} in-process against the real hub:
 * an administrator makes a user, an organisation and a token for the user; the user pushes to the organisation,
 * lists its tokens (no secrets) and revokes one.
 */
class AccountCommandsTest extends InProcessHubTest {
    /** Runs a command against the hub with {@code token}; fails the test unless it exits 0. */
    private static Cli ok(String token, String... args) {
        Cli result = as(token, args);
        assertEquals(0, result.exit(), String.join(" ", args) + ": " + result.err());
        return result;
    }

    private static Cli as(String token, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--hub", hub.url().toString(), "--token", token));
        if (all.getFirst().equals("push")) all.add("--no-progress");
        return Cli.run(all.toArray(String[]::new));
    }

    @Test
    void anAdministratorSetsUpAUserWhoManagesItsOwnTokens() throws IOException {
        assertEquals("created user alice\n", ok(admin, "admin", "user", "create", "alice").out());
        assertEquals("created organisation acme\n", ok(admin, "admin", "org", "create", "acme").out());
        assertEquals("alice is a member of acme (write)\n",
                ok(admin, "admin", "org", "add-member", "acme", "alice").out());
        assertTrue(ok(admin, "admin", "user", "list").out().contains("alice"));
        assertTrue(ok(admin, "admin", "org", "list").out().contains("alice (write)"));

        Cli made = ok(admin, "token", "create", "--name", "alice-laptop", "--scope", "read,write", "--user", "alice");
        String alice = made.out().strip();
        assertTrue(alice.startsWith("hf_"), made.out());
        assertTrue(made.err().contains("token 'alice-laptop' of alice (read, write)"), made.err());

        // alice writes to her organisation, not to someone else's namespace, and administers nothing.
        Path src = dir.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("README.md"), "acme model");
        ok(alice, "push", src.toString(), "--repo", "acme/model", "--create", "--private");
        Cli refused = as(alice, "push", src.toString(), "--repo", "bob/model", "--create");
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("may not write to the namespace 'bob'"), refused.err());
        Cli notAdmin = as(alice, "admin", "user", "create", "mallory");
        assertEquals(1, notAdmin.exit());
        assertTrue(notAdmin.err().contains("lacks the admin scope"), notAdmin.err());

        // Her own tokens: made, listed without secrets, revoked.
        String ci = ok(alice, "token", "create", "--name", "ci", "--scope", "read").out().strip();
        String list = ok(alice, "token", "list").out();
        assertTrue(list.contains("alice-laptop") && list.contains("ci"), list);
        assertFalse(list.contains(alice) || list.contains(ci), list);
        assertEquals("ID", list.lines().findFirst().orElseThrow().split("\\s+")[0]);
        assertTrue(ok(alice, "token", "revoke", "ci").out().startsWith("revoked token 'ci' (id "));
        Cli revoked = as(ci, "ls");
        assertEquals(1, revoked.exit());
        assertTrue(revoked.err().contains("unknown or revoked API token"), revoked.err());

        assertTrue(ok(admin, "admin", "org", "remove-member", "acme", "alice").out().contains("no longer"));
        assertTrue(ok(admin, "admin", "user", "delete", "alice").out().contains("(1 tokens revoked)"));
        assertEquals(1, as(alice, "ls").exit());
        assertEquals("deleted organisation acme\n", ok(admin, "admin", "org", "delete", "acme").out());
    }
}
