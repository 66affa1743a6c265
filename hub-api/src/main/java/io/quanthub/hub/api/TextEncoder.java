package io.quanthub.hub.api;

import com.fasterxml.jackson.annotation.JsonValue;
import io.quanthub.storage.Digest;
import java.util.Locale;

/**
 * One text encoder of a model as the catalog shows it ({@code textEncoders} of {@link RepoDetails} and
 * {@link QuantTable}): a role ({@code clip_l}, {@code t5xxl}) and the reference the repository's {@code quanthub.json}
 * (or the hub's default for the architecture, or a conventionally named file of the commit) gives it, resolved
 * for the caller.
 *
 * @param path   the file in the referenced repository; null unless available
 * @param quant  the level when the reference resolves to one
 * @param digest the file's blob; null unless available
 * @param size   bytes (planned bytes when producible); null when unavailable
 */
public record TextEncoder(String role, String ref, Origin origin, Status status, String path, String quant,
                          Digest digest, Long size) {
    /** Where the model's text encoders are named. */
    public enum Origin {
        /** The repository's {@code quanthub.json}. */
        REPOSITORY,
        /** The hub's default for the model's architecture. */
        DEFAULT,
        /** Neither names any: files of the model's own commit with conventional names ({@code clip_l*}, {@code t5*}). */
        FILES;

        @JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Whether the encoder can be had. */
    public enum Status {
        /** A file of this hub: size and digest known. */
        AVAILABLE,
        /** A quant level not made yet: the hub makes it on request; size from the converter's plan, no digest. */
        PRODUCIBLE,
        /** Not found, not visible to the caller, or a level that cannot be made. */
        UNAVAILABLE;

        @JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
