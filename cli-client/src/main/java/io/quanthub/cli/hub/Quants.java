package io.quanthub.cli.hub;

import java.util.List;
import java.util.Optional;

/**
 * Every quant level of a repository revision ({@code GET /api/models/{org}/{name}/quants}).
 *
 * @param sha          the commit the levels belong to
 * @param defaultQuant the level {@code org/name} without {@code :QUANT} resolves to; null when there is none
 */
public record Quants(String sha, String defaultQuant, List<Level> levels) {
    /** Made by the hub's converter from the revision's source. */
    public static final String AVAILABLE = "available";
    /** A GGUF file pushed to the repository (the repository's own, not made by the hub). */
    public static final String PUSHED = "pushed";

    /**
     * One quant level.
     *
     * @param size                exact when available, else the hub's estimate ({@code sizeEstimated}); null when
     *                            the hub cannot estimate it
     * @param bitsPerWeight       null when the hub gives none
     * @param vramModelOnly       bytes of GPU memory for the model alone; null when unknown
     * @param vramWithEncodersVae bytes with the text encoders and the VAE loaded as well; null when unknown
     * @param file                the GGUF file when the level can be downloaded from this revision (a file pushed
     *                            to the revision, or a variant the hub produced from its source, served under the
     *                            name the hub gives), else null
     * @param relativeRmse        ||q - s|| / ||s|| of the level's weights q against the source's s, as the
     *                            converter measured; null when not measured (a pushed file, a missing level)
     * @param cosine              cosine similarity of q and s; null when not measured
     */
    public record Level(String quant, String status, Long size, boolean sizeEstimated, Double bitsPerWeight,
                        Long vramModelOnly, Long vramWithEncodersVae, RepoFile file, Double relativeRmse,
                        Double cosine) {
        /** Made by the hub or pushed to the repository: either way there is a file to pull. */
        public boolean available() {
            return AVAILABLE.equals(status) || PUSHED.equals(status);
        }

        /** Available with a file the revision serves, so it can be pulled from it. */
        public boolean downloadable() {
            return file != null;
        }

        static Level of(JsonFields f) {
            JsonFields vram = f.optObject("vram");
            String status = f.string("status");
            // The hub gives a path only when the level can be downloaded from the revision (docs/hub-api.md).
            String path = AVAILABLE.equals(status) || PUSHED.equals(status) ? f.optString("path") : null;
            RepoFile file = path == null ? null
                    : new RepoFile(path, f.number("size"), Sha256.parse(f.string("digest"), "digest of " + path));
            JsonFields quality = f.optObject("quality");
            return new Level(f.string("quant"), status, f.optNumber("size"), f.flag("sizeEstimated"),
                    f.optDecimal("bitsPerWeight"), vram == null ? null : vram.optNumber("modelOnly"),
                    vram == null ? null : vram.optNumber("withTextEncodersAndVae"), file,
                    quality == null ? null : quality.optDecimal("relativeRmse"),
                    quality == null ? null : quality.optDecimal("cosine"));
        }
    }

    static Quants of(JsonFields f) {
        return new Quants(f.optString("sha"), f.optString("default"),
                f.objects("quants").stream().map(Level::of).toList());
    }

    /** The level named {@code quant} (case-insensitive). */
    public Optional<Level> level(String quant) {
        return levels.stream().filter(l -> l.quant().equalsIgnoreCase(quant)).findFirst();
    }

    /** Names of the levels that can be pulled from this revision, for error messages. */
    public List<String> downloadableNames() {
        return levels.stream().filter(Level::downloadable).map(Level::quant).toList();
    }
}
