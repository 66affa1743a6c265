package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Parsing of the Range header (RFC 9110 §14.1.2) for a file of 1000 bytes. */
class ByteRangeTest {
    private static Optional<ByteRange> parse(String header) throws ByteRange.Unsatisfiable {
        return ByteRange.parse(header, 1000);
    }

    @Test
    void satisfiableRanges() throws ByteRange.Unsatisfiable {
        assertEquals(Optional.of(new ByteRange(0, 100)), parse("bytes=0-99"));
        assertEquals(Optional.of(new ByteRange(500, 500)), parse("bytes=500-"));
        assertEquals(Optional.of(new ByteRange(900, 100)), parse("bytes=-100"));
        assertEquals(Optional.of(new ByteRange(0, 1000)), parse("bytes=-5000")); // suffix longer than the file
        assertEquals(Optional.of(new ByteRange(990, 10)), parse("bytes=990-99999999999999999999".substring(0, 25)));
        assertEquals(Optional.of(new ByteRange(999, 1)), parse("bytes=999-999"));
        assertEquals("bytes 0-99/1000", parse("bytes=0-99").orElseThrow().contentRange(1000));
    }

    @Test
    void wholeFileWhenTheHeaderIsAbsentOrNotUnderstood() throws ByteRange.Unsatisfiable {
        for (String header : new String[] {null, "", "bytes=", "bytes=-", "bytes=5-1", "bytes=0-1,3-4", "items=0-1",
                "bytes=a-b", "bytes = 0-1"}) {
            assertEquals(Optional.empty(), parse(header), header);
        }
    }

    @Test
    void unsatisfiableRanges() {
        assertThrows(ByteRange.Unsatisfiable.class, () -> parse("bytes=1000-"));
        assertThrows(ByteRange.Unsatisfiable.class, () -> parse("bytes=1000-2000"));
        assertThrows(ByteRange.Unsatisfiable.class, () -> parse("bytes=-0"));
        assertThrows(ByteRange.Unsatisfiable.class, () -> parse("bytes=9999999999999999999-"));
        assertThrows(ByteRange.Unsatisfiable.class, () -> ByteRange.parse("bytes=0-", 0));
    }
}
