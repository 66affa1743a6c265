package io.quanthub.hub;

import java.util.Locale;

/**
 * What an API token may do, always within what its user may reach ({@link Caller}). {@code admin} includes
 * {@code read} and {@code write}.
 */
enum Scope {
    /** See private repositories of the user's namespaces. */
    READ,
    /** Create repositories, upload and commit in the user's namespaces; make and revoke the user's own tokens. */
    WRITE,
    /** Read and write; for a hub administrator, also manage users, organisations and everyone's tokens. */
    ADMIN;

    /** The lower-case name used in JSON and storage. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Scope parse(String s) {
        for (Scope scope : values()) {
            if (scope.id().equals(s)) return scope;
        }
        throw new IllegalArgumentException("unknown scope '" + s + "' (valid: read, write, admin)");
    }
}
