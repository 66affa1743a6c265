package io.quanthub.storage;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The hub's API tokens, at {@code tokens/<sha256 of the secret>.json}. Only the hash of a secret is stored: whoever
 * can read the bucket learns token names and scopes, never a usable token. What scopes mean is the hub's business.
 * All methods block.
 */
public final class TokenStore {
    static final String PREFIX = "tokens/";

    /** A token as created: a name for people, its scopes, who created it and when. */
    public record TokenInfo(String name, SortedSet<String> scopes, String createdBy, Instant created) {
        public TokenInfo {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("token name is empty");
            scopes = new TreeSet<>(scopes);
            Objects.requireNonNull(createdBy, "createdBy");
            Objects.requireNonNull(created, "created");
        }
    }

    private final ObjectStore s3;
    private final StorageOptions options;

    TokenStore(ObjectStore s3, StorageOptions options) {
        this.s3 = s3;
        this.options = options;
    }

    private static String key(Digest secretHash) {
        return PREFIX + secretHash.hex() + ".json";
    }

    /**
     * Records a token by the sha256 of its secret, created now; {@link StorageException.AlreadyExists} if that hash
     * is taken (a secret made twice).
     */
    public TokenInfo create(Digest secretHash, String name, SortedSet<String> scopes, String createdBy) {
        TokenInfo info = new TokenInfo(name, scopes, createdBy,
                options.clock().instant().truncatedTo(ChronoUnit.MILLIS));
        if (!s3.putIfAbsent(key(secretHash), Json.write(info))) {
            throw new StorageException.AlreadyExists("a token with this secret already exists");
        }
        return info;
    }

    /** The token whose secret hashes to {@code secretHash}, or empty. */
    public Optional<TokenInfo> get(Digest secretHash) {
        return s3.get(key(secretHash)).map(json -> Json.read(json, TokenInfo.class, key(secretHash)));
    }
}
