package io.quanthub.hub;

import java.util.Locale;

/** What a member may do in an organisation's namespace. */
enum Role {
    /** See the organisation's private repositories. */
    READ,
    /** That, and create repositories, upload and commit in the namespace. */
    WRITE;

    /** The lower-case name used in JSON and storage. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Role parse(String s) {
        for (Role role : values()) {
            if (role.id().equals(s)) return role;
        }
        throw new IllegalArgumentException("unknown role '" + s + "' (valid: read, write)");
    }

    /** A role read back from storage; anything unknown (written by a newer hub) counts as the least one. */
    static Role stored(String s) {
        for (Role role : values()) {
            if (role.id().equals(s)) return role;
        }
        return READ;
    }
}
