package io.quanthub.gguf.tokenizer;

import java.nio.charset.Charset;
import java.text.Normalizer;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of {@code ftfy.fix_text} (6.3.1, default settings) that change ordinary prompts, and Python's
 * {@code html.unescape}, for openai/CLIP's text cleaning. Implemented, in ftfy's order: HTML entities, C1 controls read
 * as windows-1252, Latin ligatures, full-width characters, curly quotes, line breaks, control characters, NFC.
 *
 * <p>Not implemented: ftfy's mojibake repair ({@code fix_encoding}: text that was UTF-8 decoded as Latin-1 or
 * windows-1252, e.g. "cafÃ©") and terminal escapes; such text is tokenized as typed, where openai's tokenizer would
 * first repair it. HTML entities: numeric ones and the common named ones of {@link #ENTITIES}, not all of HTML5's.
 */
final class TextFixer {
    private static final Pattern ENTITY =
            Pattern.compile("&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z][a-zA-Z0-9]{1,31});");
    /** Named entities people put in prompts (Python's html.unescape knows all of HTML5's). */
    private static final Map<String, String> ENTITIES = Map.ofEntries(
            Map.entry("amp", "&"), Map.entry("lt", "<"), Map.entry("gt", ">"), Map.entry("quot", "\""),
            Map.entry("apos", "'"), Map.entry("nbsp", "\u00A0"), Map.entry("copy", "\u00A9"),
            Map.entry("reg", "\u00AE"), Map.entry("trade", "\u2122"), Map.entry("hellip", "\u2026"),
            Map.entry("mdash", "\u2014"), Map.entry("ndash", "\u2013"), Map.entry("lsquo", "\u2018"),
            Map.entry("rsquo", "\u2019"), Map.entry("ldquo", "\u201C"), Map.entry("rdquo", "\u201D"),
            Map.entry("deg", "\u00B0"), Map.entry("times", "\u00D7"), Map.entry("eacute", "\u00E9"),
            Map.entry("euro", "\u20AC"), Map.entry("pound", "\u00A3"), Map.entry("yen", "\u00A5"),
            Map.entry("middot", "\u00B7"), Map.entry("bull", "\u2022"), Map.entry("laquo", "\u00AB"),
            Map.entry("raquo", "\u00BB"));
    private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");
    /** ftfy's LIGATURES: the Latin ligatures NFKC splits. */
    private static final String LIGATURES = "\u0132\u0133\u0149\u01C7\u01C8\u01C9\u01CA\u01CB\u01CC\u01F1\u01F2\u01F3"
            + "\uFB00\uFB01\uFB02\uFB03\uFB04\uFB05\uFB06";

    private TextFixer() {
    }

    /** {@code ftfy.fix_text(text)} for the cases above. */
    static String fixText(String text) {
        if (text.indexOf('<') < 0 || text.indexOf('>') < 0) text = unescapeHtml(text);
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> appendFixed(out, c));
        return Normalizer.normalize(out.toString(), Normalizer.Form.NFC);
    }

    private static void appendFixed(StringBuilder out, int c) {
        if (c >= 0x80 && c <= 0x9F) {
            String decoded = new String(new byte[] {(byte) c}, WINDOWS_1252);
            out.append(decoded.equals("\uFFFD") ? String.valueOf((char) c) : decoded);
        } else if (LIGATURES.indexOf(c) >= 0) {
            out.append(Normalizer.normalize(Character.toString(c), Normalizer.Form.NFKC));
        } else if (c == 0x3000) {
            out.append(' ');
        } else if (c >= 0xFF01 && c < 0xFFF0) {
            out.append(Normalizer.normalize(Character.toString(c), Normalizer.Form.NFKC));
        } else if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
            out.append('\'');
        } else if (c >= 0x201C && c <= 0x201F) {
            out.append('"');
        } else if (c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85) {
            out.append('\n'); // "\r\n" becomes "\n\n": CLIP's whitespace collapse makes both one space
        } else if (!isControl(c)) {
            out.appendCodePoint(c);
        }
    }

    /** ftfy's CONTROL_CHARS (tab, newline, form feed and carriage return stay). */
    private static boolean isControl(int c) {
        return (c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F)
                || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
    }

    /** Python's {@code html.unescape} for numeric entities and {@link #ENTITIES}; unknown names stay as written. */
    static String unescapeHtml(String text) {
        if (text.indexOf('&') < 0) return text;
        Matcher m = ENTITY.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            String name = m.group(1);
            String replacement;
            if (name.startsWith("#")) {
                boolean hex = name.length() > 1 && (name.charAt(1) == 'x' || name.charAt(1) == 'X');
                long code = Long.parseLong(name.substring(hex ? 2 : 1), hex ? 16 : 10);
                replacement = code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)
                        ? "\uFFFD" : Character.toString((int) code);
            } else {
                replacement = ENTITIES.getOrDefault(name, m.group());
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
