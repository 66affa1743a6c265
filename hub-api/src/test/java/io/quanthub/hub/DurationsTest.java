package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void humanAndIsoFormsParse() {
        assertEquals(Duration.ofHours(24), Durations.parse("grace", "24h"));
        assertEquals(Duration.ofHours(24), Durations.parse("grace", "PT24H"));
        assertEquals(Duration.ofDays(7), Durations.parse("grace", "7d"));
        assertEquals(Duration.ofDays(1), Durations.parse("grace", "P1D"));
        assertEquals(Duration.ofMinutes(30), Durations.parse("grace", " 30m "));
        assertEquals(Duration.ofSeconds(90), Durations.parse("grace", "90s"));
        assertEquals(Duration.ZERO, Durations.parse("grace", "0"));
        assertEquals("1d", Durations.format(Duration.ofHours(24)));
        assertEquals("90m", Durations.format(Duration.ofMinutes(90)));
        assertEquals("0s", Durations.format(Duration.ZERO));
    }

    @Test
    void badDurationsNameTheOption() {
        assertEquals("--gc-grace: '5' is not a duration (a number needs a unit: s, m, h or d)",
                assertThrows(IllegalArgumentException.class, () -> Durations.parse("--gc-grace", "5")).getMessage());
        assertEquals("grace: '-PT1H' is not a duration (it is negative)",
                assertThrows(IllegalArgumentException.class, () -> Durations.parse("grace", "-PT1H")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("grace", null));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("grace", "1w"));
    }
}
