package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Users, organisations and memberships: one namespace for both kinds of account, memberships found by user. */
class AccountStoreTest extends S3TestSupport {
    @Test
    void usersAndOrganisationsShareOneNamespace() {
        AccountStore accounts = storage.accounts();
        AccountStore.User alice = accounts.createUser("alice", false, "admin");
        accounts.createOrg("acme", "admin");

        assertTrue(assertThrows(StorageException.AlreadyExists.class, () -> accounts.createOrg("alice", "admin"))
                .getMessage().contains("a user"));
        assertTrue(assertThrows(StorageException.AlreadyExists.class, () -> accounts.createUser("acme", false, "x"))
                .getMessage().contains("an organisation"));
        assertThrows(StorageException.AlreadyExists.class, () -> accounts.createUser("alice", true, "admin"));
        assertThrows(IllegalArgumentException.class, () -> accounts.createUser("../x", false, "admin"));
        assertThrows(IllegalArgumentException.class, () -> accounts.createOrg("a/b", "admin"));

        assertEquals(alice, accounts.user("alice").orElseThrow());
        assertTrue(accounts.org("alice").isEmpty());
        assertEquals(List.of("alice"), accounts.users().stream().map(AccountStore.User::name).toList());
        assertEquals(List.of("acme"), accounts.orgs().stream().map(AccountStore.Org::name).toList());
    }

    @Test
    void membershipsAreFoundByUserAndByOrganisationAndEndWithEither() {
        AccountStore accounts = storage.accounts();
        accounts.createUser("alice", false, "admin");
        accounts.createUser("bob", false, "admin");
        accounts.createOrg("acme", "admin");
        accounts.createOrg("lab", "admin");
        accounts.addMember("acme", "alice", "write", "admin");
        accounts.addMember("lab", "alice", "read", "admin");
        accounts.addMember("acme", "bob", "read", "admin");
        accounts.addMember("acme", "bob", "write", "admin"); // a new role replaces the old one

        assertEquals(List.of("acme:write", "lab:read"), accounts.memberships("alice").stream()
                .map(m -> m.org() + ":" + m.role()).toList());
        assertEquals(List.of("alice:write", "bob:write"), accounts.members("acme").stream()
                .map(m -> m.user() + ":" + m.role()).toList());
        assertThrows(StorageException.NotFound.class, () -> accounts.addMember("nope", "alice", "read", "admin"));
        assertThrows(StorageException.NotFound.class, () -> accounts.addMember("acme", "nobody", "read", "admin"));

        assertTrue(accounts.removeMember("lab", "alice"));
        assertFalse(accounts.removeMember("lab", "alice"));
        assertTrue(accounts.deleteOrg("acme"));
        assertEquals(List.of(), accounts.memberships("alice"));
        assertEquals(List.of(), accounts.memberships("bob"));
        accounts.addMember("lab", "bob", "read", "admin");
        assertTrue(accounts.deleteUser("bob"));
        assertEquals(List.of(), accounts.members("lab"));
        assertFalse(accounts.deleteUser("bob"));
        assertEquals(List.of(), keys(AccountStore.MEMBERS));
    }
}
