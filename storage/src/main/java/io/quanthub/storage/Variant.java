package io.quanthub.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * A GGUF quantization of one repository file: which source bytes, which quant type, which converter version
 * (the {@link Key}), where it came from, and where it stands. A converter cluster moves a record from
 * {@link Status#PENDING} to {@link Status#AVAILABLE} (with its output) or {@link Status#FAILED}; a quant pushed
 * ready-made is registered {@code AVAILABLE} directly.
 *
 * @param output        the GGUF blob; null unless available
 * @param bitsPerWeight average bits per weight of the output; null unless available
 * @param error         why the conversion failed; null unless failed
 */
public record Variant(Key key, Status status, Blob output, Double bitsPerWeight, Provenance provenance,
                      String error) {
    public enum Status { PENDING, AVAILABLE, FAILED }

    /** What identifies a variant: converting the same bytes to the same quant with the same converter. */
    public record Key(Digest source, String quant, String converterVersion) {
        public Key {
            Objects.requireNonNull(source, "source digest");
            Names.requireQuantType(quant);
            Names.requireConverterVersion(converterVersion);
        }

        @Override
        public String toString() {
            return quant + " of " + source + " by converter " + converterVersion;
        }
    }

    /**
     * Where a variant comes from: the file {@code path} of {@code repo} at {@code commit}, made by {@code tool}
     * (a converter name and version, or "upload" for a pushed quant) at {@code time}.
     */
    public record Provenance(RepoName repo, String commit, String path, String tool, Instant time) {
        public Provenance {
            Objects.requireNonNull(repo, "repo");
            Names.requireCommitId(commit);
            Names.requireFilePath(path);
            if (tool == null || tool.isBlank()) throw new IllegalArgumentException("provenance tool is empty");
            Objects.requireNonNull(time, "time");
        }
    }

    public Variant {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(provenance, "provenance");
        if ((status == Status.AVAILABLE) != (output != null && bitsPerWeight != null)) {
            throw new IllegalArgumentException("variant " + key + ": output and bits per weight are set exactly when "
                    + "it is available (status " + status + ")");
        }
        if ((status == Status.FAILED) != (error != null)) {
            throw new IllegalArgumentException("variant " + key + ": an error is set exactly when it failed");
        }
        if (bitsPerWeight != null && !(bitsPerWeight > 0 && bitsPerWeight <= 64)) {
            throw new IllegalArgumentException(
                    "variant " + key + ": bits per weight " + bitsPerWeight + " out of (0, 64]");
        }
    }
}
