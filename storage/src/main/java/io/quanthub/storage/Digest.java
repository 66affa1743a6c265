package io.quanthub.storage;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A sha256 content digest. Written as {@code sha256:<64 lower-case hex>} (the OCI/Ollama spelling) in JSON and
 * messages; {@link #hex()} is the bare form used in object keys.
 */
public record Digest(String hex) {
    private static final String PREFIX = "sha256:";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public Digest {
        if (hex == null || !HEX64.matcher(hex).matches()) {
            throw new IllegalArgumentException("not a sha256 digest (64 lower-case hex): " + Names.quote(hex));
        }
    }

    /** Parses {@code sha256:<hex>}. */
    @JsonCreator
    public static Digest parse(String s) {
        if (s == null || !s.startsWith(PREFIX)) {
            throw new IllegalArgumentException("digest " + Names.quote(s) + " must start with " + PREFIX);
        }
        return new Digest(s.substring(PREFIX.length()));
    }

    public static Digest of(byte[] data) {
        MessageDigest sha = newSha256();
        return new Digest(HexFormat.of().formatHex(sha.digest(data)));
    }

    static Digest of(MessageDigest finishedSha256) {
        return new Digest(HexFormat.of().formatHex(finishedSha256.digest()));
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    @JsonValue
    @Override
    public String toString() {
        return PREFIX + hex;
    }
}
