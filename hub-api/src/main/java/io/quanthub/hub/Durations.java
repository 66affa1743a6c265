package io.quanthub.hub;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them: {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}, {@code 0}, or ISO-8601
 * ({@code PT24H}, {@code P1D}). Used by {@code quanthub serve --gc-interval/--gc-grace}, {@code quanthub admin gc
 * --grace} and the {@code grace} parameter of {@code POST /api/admin/gc}.
 */
public final class Durations {
    private static final Pattern HUMAN = Pattern.compile("(\\d{1,9})\\s*([smhd]?)");

    private Durations() {
    }

    /**
     * Parses {@code text}; a bad or negative value is an {@link IllegalArgumentException} naming {@code what}.
     */
    public static Duration parse(String what, String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        Matcher m = HUMAN.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> {
                    if (n != 0) throw invalid(what, text, "a number needs a unit: s, m, h or d");
                    yield Duration.ZERO;
                }
            };
        }
        try {
            Duration d = Duration.parse(t.toUpperCase(Locale.ROOT));
            if (d.isNegative()) throw invalid(what, text, "it is negative");
            return d;
        } catch (DateTimeParseException e) {
            throw invalid(what, text, "expected e.g. 90s, 30m, 24h, 7d or PT24H");
        }
    }

    /** The shortest human form: {@code 24h}, {@code 90s}, {@code 7d}. */
    public static String format(Duration d) {
        long s = d.toSeconds();
        if (s != 0 && s % 86_400 == 0) return s / 86_400 + "d";
        if (s != 0 && s % 3600 == 0) return s / 3600 + "h";
        if (s != 0 && s % 60 == 0) return s / 60 + "m";
        return s + "s";
    }

    private static IllegalArgumentException invalid(String what, String text, String why) {
        return new IllegalArgumentException(what + ": '" + text + "' is not a duration (" + why + ")");
    }
}
