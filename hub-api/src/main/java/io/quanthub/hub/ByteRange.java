package io.quanthub.hub;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One byte range of a file, from an HTTP {@code Range} header (RFC 9110 §14.1.2): {@code bytes=first-last},
 * {@code bytes=first-} or the suffix form {@code bytes=-n}.
 *
 * @param first  the first byte
 * @param length how many bytes (at least 1)
 */
record ByteRange(long first, long length) {
    private static final Pattern SINGLE = Pattern.compile("bytes=(\\d{0,19})-(\\d{0,19})");

    /** A decimal position; one past 2^63 - 1 counts as "beyond any file". */
    private static long number(String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /** A range that cannot be served: the answer is 416 with {@code Content-Range: bytes *\/size}. */
    static final class Unsatisfiable extends Exception {
        Unsatisfiable() {
            super(null, null, false, false);
        }
    }

    long last() {
        return first + length - 1;
    }

    /** The {@code Content-Range} value of a 206 answer. */
    String contentRange(long size) {
        return "bytes " + first + "-" + last() + "/" + size;
    }

    /**
     * The range a header asks for in a file of {@code size} bytes; empty when the whole file should be sent: no
     * header, a header this parser does not understand, or several ranges (a server may ignore {@code Range}, and
     * multipart answers are not worth their complexity for model files).
     *
     * @throws Unsatisfiable when the range starts past the end or asks for zero bytes
     */
    static Optional<ByteRange> parse(String header, long size) throws Unsatisfiable {
        if (header == null) return Optional.empty();
        Matcher m = SINGLE.matcher(header.strip());
        if (!m.matches()) return Optional.empty();
        String from = m.group(1);
        String to = m.group(2);
        if (from.isEmpty() && to.isEmpty()) return Optional.empty();
        if (from.isEmpty()) { // the last n bytes
            long n = number(to);
            if (n == 0 || size == 0) throw new Unsatisfiable();
            long length = Math.min(n, size);
            return Optional.of(new ByteRange(size - length, length));
        }
        long first = number(from);
        if (first >= size) throw new Unsatisfiable();
        long last = to.isEmpty() ? size - 1 : Math.min(number(to), size - 1);
        if (last < first) return Optional.empty(); // syntactically invalid: ignore the header
        return Optional.of(new ByteRange(first, last - first + 1));
    }
}
