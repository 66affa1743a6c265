package io.quanthub.cli.hub;

import io.quanthub.storage.Names;
import io.quanthub.storage.RepoName;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model as named on the command line: {@code org/name[@revision][:QUANT]}.
 *
 * <p>The name rules are the hub's own ({@link Names}, {@link RepoName}), checked here before anything is sent because
 * the name also becomes a cache directory on the user's disk.
 *
 * @param revision null when not given
 * @param quant    upper case; null when not given
 */
public record ModelRef(String owner, String name, String revision, String quant) {
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern FORM = Pattern.compile("([^/@:]*)/([^/@:]*)(?:@([^/@:]*))?(?::([^/@:]*))?");

    public static ModelRef parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("model " + quote(text) + " is not of the form org/name[@revision][:QUANT]");
        }
        String owner = m.group(1);
        String name = m.group(2);
        String revision = m.group(3);
        String quant = m.group(4);
        new RepoName(owner, name); // its message names the repository
        try {
            if (revision != null) requireRevision(revision);
            if (quant != null) Names.requireQuantType(quant);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model " + quote(text) + ": " + e.getMessage(), e);
        }
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
        return Names.isCommitId(revision) ? revision : Names.requireRefName(revision);
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
