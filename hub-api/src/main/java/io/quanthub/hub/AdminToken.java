package io.quanthub.hub;

import io.quanthub.storage.AccountStore;
import io.quanthub.storage.OwnerOnlyFile;
import io.quanthub.storage.StorageException;
import io.quanthub.storage.TokenStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * The first administrator and its token: on the first start the hub makes a token and writes it to
 * {@code <data>/admin-token}, readable by the owner only ({@code rw-------}); on every start it makes sure storage
 * knows the hub administrator {@value #USER} and that token, which belongs to it (so pointing the hub at a fresh
 * bucket keeps the same admin token).
 */
final class AdminToken {
    static final String FILE_NAME = "admin-token";
    static final String NAME = "admin";
    /** The bootstrap hub administrator, owner of the admin token (and of token records older than owners). */
    static final String USER = "admin";
    private static final String CREATED_BY = "quanthub serve";

    /** Where the token is and whether this start created it. */
    record Result(Path file, boolean created) {}

    private AdminToken() {}

    static Result ensure(Path dataDir, TokenStore tokens, AccountStore accounts) {
        Path file = dataDir.resolve(FILE_NAME);
        try {
            boolean created = false;
            String secret;
            if (Files.exists(file)) {
                secret = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (secret.isEmpty()) throw new IllegalStateException(file + " is empty; delete it to get a new token");
            } else {
                secret = Access.newSecret();
                OwnerOnlyFile.write(file, secret + "\n");
                created = true;
            }
            if (accounts.user(USER).isEmpty()) {
                try {
                    accounts.createUser(USER, true, CREATED_BY);
                } catch (StorageException.AlreadyExists raced) {
                    // Another hub on the same bucket created it at the same moment.
                }
            }
            if (tokens.get(Access.hash(secret)).isEmpty()) {
                try {
                    tokens.create(Access.hash(secret), NAME, new TreeSet<>(Set.of(Scope.ADMIN.id(), Scope.READ.id(),
                            Scope.WRITE.id())), CREATED_BY, USER);
                } catch (StorageException.AlreadyExists raced) {
                    // Another hub on the same bucket and data folder registered it at the same moment.
                }
            }
            return new Result(file, created);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the admin token in " + file + ": " + e.getMessage(), e);
        }
    }
}
