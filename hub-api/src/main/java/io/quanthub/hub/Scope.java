package io.quanthub.hub;

import java.util.Locale;

/** What an API token may do. {@code admin} includes {@code read} and {@code write}. */
enum Scope {
    /** See private repositories. */
    READ,
    /** Create repositories, upload and commit. */
    WRITE,
    /** Everything, and create tokens. */
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
