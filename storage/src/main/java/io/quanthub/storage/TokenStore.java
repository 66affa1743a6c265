package io.quanthub.storage;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The hub's API tokens, at {@code tokens/<sha256 of the secret>.json}. Only the hash of a secret is stored: whoever
 * can read the bucket learns token names, owners and scopes, never a usable token. What scopes mean is the hub's
 * business. All methods block.
 */
public final class TokenStore {
    static final String PREFIX = "tokens/";
    private static final String SUFFIX = ".json";

    /**
     * A token as created: a name for people, its scopes, who created it and when, and the user it belongs to.
     *
     * @param owner the user whose rights the token carries; null in records written before tokens had owners
     *              (the hub decides what such a token is worth)
     */
    public record TokenInfo(String name, SortedSet<String> scopes, String createdBy, Instant created, String owner) {
        public TokenInfo {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("token name is empty");
            scopes = new TreeSet<>(scopes);
            Objects.requireNonNull(createdBy, "createdBy");
            Objects.requireNonNull(created, "created");
        }
    }

    /** A stored token: the hash of its secret (its identity in storage) and its record. */
    public record StoredToken(Digest secretHash, TokenInfo info) {}

    private final ObjectStore s3;
    private final StorageOptions options;

    TokenStore(ObjectStore s3, StorageOptions options) {
        this.s3 = s3;
        this.options = options;
    }

    private static String key(Digest secretHash) {
        return PREFIX + secretHash.hex() + SUFFIX;
    }

    /**
     * Records a token of {@code owner} by the sha256 of its secret, created now; {@link StorageException.AlreadyExists}
     * if that hash is taken (a secret made twice).
     */
    public TokenInfo create(Digest secretHash, String name, SortedSet<String> scopes, String createdBy, String owner) {
        Objects.requireNonNull(owner, "owner");
        TokenInfo info = new TokenInfo(name, scopes, createdBy,
                options.clock().instant().truncatedTo(ChronoUnit.MILLIS), owner);
        if (!s3.putIfAbsent(key(secretHash), StoredJson.write(info))) {
            throw new StorageException.AlreadyExists("a token with this secret already exists");
        }
        return info;
    }

    /** The token whose secret hashes to {@code secretHash}, or empty. */
    public Optional<TokenInfo> get(Digest secretHash) {
        return s3.get(key(secretHash)).map(json -> StoredJson.read(json, TokenInfo.class, key(secretHash)));
    }

    /**
     * Every token, in hash order. Reads one object per token: for listings that people ask for, not for request
     * handling.
     */
    public List<StoredToken> list() {
        return s3.list(PREFIX)
                .filter(o -> o.key().endsWith(SUFFIX))
                .map(o -> o.key().substring(PREFIX.length(), o.key().length() - SUFFIX.length()))
                .filter(Names::isCommitId) // 64 lower-case hex, like every secret hash
                .map(Digest::new)
                .map(hash -> get(hash).map(info -> new StoredToken(hash, info)))
                .flatMap(Optional::stream) // revoked between the listing and the read
                .toList();
    }

    /** Revokes a token: its record is gone, so the hub no longer finds it. Revoking twice is harmless. */
    public void delete(Digest secretHash) {
        s3.delete(key(secretHash));
    }
}
