package io.quanthub.hub.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import io.quanthub.storage.Digest;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Every quant level of a model at one commit ({@code GET /api/models/{org}/{name}/quants}), one row per level in the
 * converter's order.
 *
 * @param sha          the commit the levels belong to
 * @param source       the file levels are (or would be) made from; null without one
 * @param defaultQuant the level {@code org/name} without {@code :QUANT} resolves to; null when there is none
 * @param textEncoders the text encoders the model uses (its {@code vram} estimates count their real sizes when all
 *                     are known)
 */
public record QuantTable(String id, String revision, String sha, String architecture, Long parameters, Source source,
                         @JsonProperty("default") String defaultQuant, List<Level> quants,
                         List<TextEncoder> textEncoders) {
    public QuantTable {
        quants = quants == null ? List.of() : quants;
        textEncoders = textEncoders == null ? List.of() : textEncoders;
    }

    /** Where a level stands. */
    public enum Status {
        /** Made by the hub's converter from the revision's source. */
        AVAILABLE,
        /** A GGUF file pushed to the repository: its own, not checked against any source. */
        PUSHED,
        MISSING;

        @JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One level. {@code path} and {@code digest} only when available: the commit's file, or the name a produced
     * variant is served under; {@code quality} only for a variant the converter measured.
     *
     * @param size          exact when available, else the hub's estimate ({@code sizeEstimated}); null when the hub
     *                      cannot estimate it
     * @param bitsPerWeight null when the hub gives none
     * @param vram          null when unknown
     */
    public record Level(String quant, Status status, Long size, boolean sizeEstimated, Double bitsPerWeight, Vram vram,
                        String path, Digest digest, Quality quality) {
        /** Made by the hub or pushed to the repository: either way there is a file to pull. */
        public boolean available() {
            return status == Status.AVAILABLE || status == Status.PUSHED;
        }

        /**
         * The GGUF file when the level can be downloaded from this revision (a file pushed to the revision, or a
         * variant the hub produced from its source, served under the name the hub gives), else empty.
         */
        public Optional<RepoFile> file() {
            if (!available() || path == null || digest == null || size == null) return Optional.empty();
            return Optional.of(new RepoFile(path, size, digest));
        }
    }

    /** How close a variant's weights are to the source's: ||q - s|| / ||s|| and cosine similarity. */
    public record Quality(double relativeRmse, double cosine) {}

    /**
     * Bytes of GPU memory to run the level, alone and with its text encoders (the model's own when their sizes are
     * known, else its architecture's usual ones) and VAE.
     */
    public record Vram(long modelOnly, Long withTextEncodersAndVae) {}

    /** The file levels are (or would be) made from, and the element type of most of its weights ("BF16"). */
    public record Source(String path, Digest digest, long size, String dtype) {}

    /** The level named {@code quant} (case-insensitive). */
    public Optional<Level> level(String quant) {
        return quants.stream().filter(l -> l.quant().equalsIgnoreCase(quant)).findFirst();
    }

    /** Names of the levels that can be pulled from this revision, for error messages. */
    public List<String> downloadableNames() {
        return quants.stream().filter(l -> l.file().isPresent()).map(Level::quant).toList();
    }
}
