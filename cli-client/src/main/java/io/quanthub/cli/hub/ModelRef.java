package io.quanthub.cli.hub;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model as named on the command line: {@code org/name[@revision][:QUANT]}.
 *
 * <p>The name rules are the hub's (storage module's {@code Names}), checked here too because the name becomes a
 * cache directory on the user's disk: owner and name start with {@code [a-z0-9]} and use {@code [a-zA-Z0-9._-]},
 * a revision (branch, tag or commit id) uses {@code [a-zA-Z0-9._-]}, a quant {@code [A-Za-z0-9_]}.
 *
 * @param revision null when not given
 * @param quant    upper case; null when not given
 */
public record ModelRef(String owner, String name, String revision, String quant) {
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern FORM = Pattern.compile("([^/@:]*)/([^/@:]*)(?:@([^/@:]*))?(?::([^/@:]*))?");
    private static final Pattern REPO_PART = Pattern.compile("[a-z0-9][a-zA-Z0-9._-]*");
    private static final Pattern REVISION = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]*");
    private static final Pattern QUANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_]*");

    public static ModelRef parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("model " + quote(text) + " is not of the form org/name[@revision][:QUANT]");
        }
        String owner = m.group(1);
        String name = m.group(2);
        String revision = m.group(3);
        String quant = m.group(4);
        check(owner, REPO_PART, "organisation", text);
        check(name, REPO_PART, "name", text);
        if (revision != null) check(revision, REVISION, "revision", text);
        if (quant != null) check(quant, QUANT, "quant", text);
        return new ModelRef(owner, name, revision, quant == null ? null : quant.toUpperCase(Locale.ROOT));
    }

    /** Parses a plain {@code org/name} (no revision or quant), e.g. {@code push --repo}. */
    public static ModelRef parseRepo(String text) {
        ModelRef ref = parse(text);
        if (ref.revision != null || ref.quant != null) {
            throw new IllegalArgumentException("repository " + quote(text) + " must be just org/name");
        }
        return ref;
    }

    /** Checks a branch, tag or commit id on its own, e.g. {@code push --branch}. */
    public static String requireRevision(String revision) {
        if (revision == null || !REVISION.matcher(revision).matches() || revision.contains("..")) {
            throw new IllegalArgumentException("bad revision " + quote(String.valueOf(revision))
                    + " (allowed: " + REVISION.pattern() + ", no '..')");
        }
        return revision;
    }

    private static void check(String part, Pattern rule, String what, String whole) {
        if (!rule.matcher(part).matches() || part.contains("..")) {
            throw new IllegalArgumentException("model " + quote(whole) + ": bad " + what + " " + quote(part)
                    + " (allowed: " + rule.pattern() + ", no '..')");
        }
    }

    /** {@code org/name}. */
    public String repo() {
        return owner + "/" + name;
    }

    /** The revision, or {@value #DEFAULT_REVISION} when none was given. */
    public String revisionOrDefault() {
        return revision != null ? revision : DEFAULT_REVISION;
    }

    @Override
    public String toString() {
        return repo() + (revision != null ? "@" + revision : "") + (quant != null ? ":" + quant : "");
    }

    static String quote(String s) {
        return "'" + s + "'";
    }
}
