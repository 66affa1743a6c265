package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The conditional headers of a download (RFC 9110 §13) against a file's strong ETag. */
class PreconditionsTest {
    static final String ETAG = "\"abc\"";

    @Test
    void ifMatchNeedsTheStrongTagOrAStar() {
        assertTrue(Preconditions.ifMatch(null, ETAG));
        assertTrue(Preconditions.ifMatch("*", ETAG));
        assertTrue(Preconditions.ifMatch("\"abc\"", ETAG));
        assertTrue(Preconditions.ifMatch("\"old\", \"abc\"", ETAG));
        assertFalse(Preconditions.ifMatch("\"old\"", ETAG));
        assertFalse(Preconditions.ifMatch("W/\"abc\"", ETAG)); // If-Match compares strongly
        assertFalse(Preconditions.ifMatch("abc", ETAG));
    }

    @Test
    void ifNoneMatchComparesWeakly() {
        assertFalse(Preconditions.ifNoneMatchHits(null, ETAG));
        assertTrue(Preconditions.ifNoneMatchHits("*", ETAG));
        assertTrue(Preconditions.ifNoneMatchHits("W/\"abc\"", ETAG));
        assertTrue(Preconditions.ifNoneMatchHits("\"x\",\"abc\"", ETAG));
        assertFalse(Preconditions.ifNoneMatchHits("\"abcd\"", ETAG));
    }

    @Test
    void ifRangeHoldsOnlyForTheSameFile() {
        assertTrue(Preconditions.rangeApplies(null, ETAG));
        assertTrue(Preconditions.rangeApplies(" \"abc\" ", ETAG));
        assertFalse(Preconditions.rangeApplies("\"old\"", ETAG));
        assertFalse(Preconditions.rangeApplies("W/\"abc\"", ETAG)); // If-Range needs a strong validator
        assertFalse(Preconditions.rangeApplies("Sun, 06 Dec 2026 21:00:00 GMT", ETAG)); // no Last-Modified to match
    }
}
