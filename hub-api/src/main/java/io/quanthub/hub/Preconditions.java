package io.quanthub.hub;

/**
 * The conditional request headers of a download (RFC 9110 §13) against the file's strong entity tag
 * ({@code "<sha256>"}): {@code If-Match} (412 when no listed tag matches), {@code If-None-Match} (304 when one
 * does) and {@code If-Range} (the {@code Range} applies only while the validator still names this file, so a resumed
 * download never splices bytes of two versions). The hub sends no {@code Last-Modified}, so a date validator in
 * {@code If-Range} never matches.
 */
final class Preconditions {
    private Preconditions() {}

    /** {@code If-Match}: true when the header is absent, {@code *}, or lists {@code etag} (strong comparison). */
    static boolean ifMatch(String header, String etag) {
        return header == null || listed(header, etag, true);
    }

    /** {@code If-None-Match}: true when the header is {@code *} or lists {@code etag} (weak comparison): 304. */
    static boolean ifNoneMatchHits(String header, String etag) {
        return header != null && listed(header, etag, false);
    }

    /**
     * {@code If-Range}: true when a {@code Range} should be served, i.e. the header is absent or is exactly this
     * file's strong entity tag; false (send the whole file) for another tag, a weak tag or a date.
     */
    static boolean rangeApplies(String header, String etag) {
        return header == null || header.strip().equals(etag);
    }

    /** Whether a comma-separated list of entity tags (or {@code *}) names {@code etag}. */
    private static boolean listed(String header, String etag, boolean strong) {
        for (String tag : header.split(",")) {
            String t = tag.strip();
            if (t.equals("*")) return true;
            if (!strong && t.startsWith("W/")) t = t.substring(2);
            if (t.equals(etag)) return true;
        }
        return false;
    }
}
