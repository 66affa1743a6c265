package io.quanthub.cli.hub;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;

/**
 * sha256 digests of local files, as bare 64 lower-case hex (headers and cache file names); in JSON bodies they are
 * {@link io.quanthub.storage.Digest}s, {@code sha256:<hex>}.
 */
public final class Sha256 {
    private static final String PREFIX = "sha256:";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final int BUFFER = 1 << 20;

    private Sha256() {}

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    public static boolean isHex(String s) {
        return s != null && HEX64.matcher(s).matches();
    }

    /** The bare hex of {@code sha256:<hex>} (or of bare hex); {@code what} names the value in the error. */
    public static String parse(String digest, String what) {
        String hex = digest != null && digest.startsWith(PREFIX) ? digest.substring(PREFIX.length()) : digest;
        if (!isHex(hex)) throw new IllegalArgumentException(what + " is not a sha256 digest: " + digest);
        return hex;
    }

    public static String hex(byte[] data) {
        return HexFormat.of().formatHex(newDigest().digest(data));
    }

    /** Hashes a whole file, reporting each chunk's length to {@code progress}. */
    public static String hex(Path file, LongConsumer progress) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return hex(ch, progress);
        }
    }

    /** Hashes a channel from position 0 to its end. */
    public static String hex(FileChannel ch, LongConsumer progress) throws IOException {
        MessageDigest sha = newDigest();
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        long pos = 0;
        int n;
        while ((n = ch.read(buf, pos)) >= 0) {
            buf.flip();
            sha.update(buf);
            buf.clear();
            pos += n;
            if (n > 0) progress.accept(n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The first 12 hex digits, for tables. */
    public static String shortHex(String hex) {
        return hex == null ? "-" : hex.substring(0, Math.min(12, hex.length()));
    }
}
