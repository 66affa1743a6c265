package io.quanthub.storage;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The one place that decides which names the hub accepts: repository owners and names, branch and tag names,
 * file paths inside a repository, quant types and converter versions.
 *
 * <p>Every name ends up inside an S3 key and, for file paths, on a user's disk after a download, so the rules are
 * strict: a fixed alphabet, bounded lengths, nothing that a path resolver would treat specially ({@code ..},
 * {@code /} where it is not a separator, {@code \}, absolute paths). Each check throws
 * {@link IllegalArgumentException} with a one-line message that names the input and the broken rule.
 */
public final class Names {
    /** Longest repository owner (organisation or user) name. */
    public static final int MAX_OWNER_LENGTH = 64;
    /** Longest repository name (the part after the slash). */
    public static final int MAX_REPO_LENGTH = 96;
    /** Longest branch or tag name. */
    public static final int MAX_REF_LENGTH = 100;
    /** Longest file path inside a repository, in UTF-8 bytes. */
    public static final int MAX_PATH_BYTES = 1024;
    /** Longest single path segment, in UTF-8 bytes (the common file-system limit). */
    public static final int MAX_SEGMENT_BYTES = 255;

    // Hugging Face's rule: starts alphanumeric, then letters, digits, '.', '_' and '-' ("black-forest-labs/FLUX.1-dev").
    // Names are case-sensitive (S3 keys are).
    private static final Pattern REPO_PART = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]*");
    // Branch and tag names: no slash, because a ref name is one S3 key segment.
    private static final Pattern REF = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]*");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    // Quant type names as llama.cpp and ComfyUI-GGUF spell them: Q4_K_M, IQ4_XS, BF16, F16.
    private static final Pattern QUANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_]{0,31}");
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}");

    private Names() {}

    /** Checks one half of {@code owner/name}; {@code what} is "owner" or "name" and {@code max} its length limit. */
    static String requireRepoPart(String part, String what, int max, String whole) {
        if (part.isEmpty()) throw new IllegalArgumentException("repository " + quote(whole) + ": empty " + what);
        if (part.length() > max) {
            throw new IllegalArgumentException(
                    "repository " + quote(whole) + ": " + what + " longer than " + max + " characters");
        }
        if (!REPO_PART.matcher(part).matches()) {
            throw new IllegalArgumentException("repository " + quote(whole) + ": " + what
                    + " must start with [a-zA-Z0-9] and use only [a-zA-Z0-9._-]");
        }
        requireNoDotDot(part, "repository " + quote(whole));
        return part;
    }

    /**
     * A user or organisation name: the same rule as a repository owner, since an account owns the namespace of its
     * name.
     */
    public static String requireAccountName(String name) {
        String where = "account name " + quote(name);
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("account name is empty");
        if (name.length() > MAX_OWNER_LENGTH) {
            throw new IllegalArgumentException(where + " is longer than " + MAX_OWNER_LENGTH + " characters");
        }
        if (!REPO_PART.matcher(name).matches()) {
            throw new IllegalArgumentException(where + " must start with [a-zA-Z0-9] and use only [a-zA-Z0-9._-]");
        }
        requireNoDotDot(name, where);
        return name;
    }

    /** A branch or tag name; never 64 hex digits, so a revision string is a commit id or a ref name, not both. */
    public static String requireRefName(String name) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("ref name is empty");
        if (name.length() > MAX_REF_LENGTH) {
            throw new IllegalArgumentException("ref name " + quote(name) + " is longer than " + MAX_REF_LENGTH);
        }
        if (!REF.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "ref name " + quote(name) + " must start with [a-zA-Z0-9] and use only [a-zA-Z0-9._-]");
        }
        requireNoDotDot(name, "ref name " + quote(name));
        if (isCommitId(name)) {
            throw new IllegalArgumentException("ref name " + quote(name) + " looks like a commit id");
        }
        return name;
    }

    /** True for a commit id: 64 lower-case hex digits (the sha256 of the commit's canonical JSON). */
    public static boolean isCommitId(String s) {
        return s != null && HEX64.matcher(s).matches();
    }

    public static String requireCommitId(String id) {
        if (!isCommitId(id)) throw new IllegalArgumentException("not a commit id (64 lower-case hex): " + quote(id));
        return id;
    }

    /**
     * A file path inside a repository: relative, '/'-separated, no empty, "." or ".." segments, no backslash,
     * no ':' (drive letters and NTFS streams on Windows), bounded length, and no character that is invisible or
     * rewrites how a name is shown ({@link #isInvisible}): {@code model\u202Efdp.gguf} would display as
     * {@code modelgguf.pdf}, a line separator would forge a line in a listing.
     */
    public static String requireFilePath(String path) {
        if (path == null || path.isEmpty()) throw new IllegalArgumentException("file path is empty");
        String where = "file path " + quote(path);
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new IllegalArgumentException(where + " is longer than " + MAX_PATH_BYTES + " bytes");
        }
        if (path.startsWith("/")) throw new IllegalArgumentException(where + " is absolute");
        for (int i = 0; i < path.length(); ) {
            int c = path.codePointAt(i);
            if (c == '\\') throw new IllegalArgumentException(where + " contains a backslash");
            if (c == ':') throw new IllegalArgumentException(where + " contains ':'");
            if (isInvisible(c)) {
                throw new IllegalArgumentException(where + " contains " + codePoint(c)
                        + " (control, format and bidi characters are not allowed in file paths)");
            }
            i += Character.charCount(c);
        }
        // split with limit -1 keeps trailing empty segments, so "a/" and "a//b" are caught below.
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) throw new IllegalArgumentException(where + " has an empty segment");
            if (segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException(where + " has a '" + segment + "' segment");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
                throw new IllegalArgumentException(
                        where + " has a segment longer than " + MAX_SEGMENT_BYTES + " bytes");
            }
        }
        return path;
    }

    /** A quant type name such as {@code Q4_K_M}, {@code IQ4_XS} or {@code BF16}. */
    public static String requireQuantType(String quant) {
        if (quant == null || !QUANT.matcher(quant).matches()) {
            throw new IllegalArgumentException(
                    "quant type " + quote(quant) + " must match [A-Za-z0-9][A-Za-z0-9_]{0,31}");
        }
        return quant;
    }

    /** A converter version such as {@code 0.1.0} or {@code 2026.11+ggml-b3962}. */
    public static String requireConverterVersion(String version) {
        if (version == null || !VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException(
                    "converter version " + quote(version) + " must match [A-Za-z0-9][A-Za-z0-9._+-]{0,63}");
        }
        requireNoDotDot(version, "converter version " + quote(version));
        return version;
    }

    /**
     * Characters refused in file paths: C0 and C1 controls and DEL ({@code Cc}), format characters ({@code Cf}:
     * the bidi embeddings, overrides and isolates U+202A..U+202E and U+2066..U+2069, the marks U+200E, U+200F and
     * U+061C, zero-width characters, the byte order mark, soft hyphen, tags), the line and paragraph separators
     * U+2028 and U+2029, and unpaired surrogates (not a character at all).
     */
    static boolean isInvisible(int c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE -> true;
            default -> false;
        };
    }

    /** {@code U+202E RIGHT-TO-LEFT OVERRIDE}: the code point and, where Unicode has one, its name. */
    private static String codePoint(int c) {
        String name = Character.getName(c);
        return String.format("U+%04X", c) + (name == null ? "" : " " + name);
    }

    private static void requireNoDotDot(String s, String where) {
        if (s.contains("..")) throw new IllegalArgumentException(where + " contains '..'");
    }

    /** Quotes user input for an error message: invisible characters escaped, long input shortened, one line. */
    static String quote(String s) {
        if (s == null) return "null";
        StringBuilder out = new StringBuilder("'");
        int shown = Math.min(s.length(), 120);
        for (int i = 0; i < shown; ) {
            int c = s.codePointAt(i);
            // Escaped, so that the message shows what is there instead of being reordered or split by it.
            if (isInvisible(c)) out.append(String.format("\\u%04x", c));
            else out.appendCodePoint(c);
            i += Character.charCount(c);
        }
        if (shown < s.length()) out.append("...");
        return out.append('\'').toString();
    }
}
