package io.quanthub.hub;

import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.hub.api.QuantTable;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Commit;
import io.quanthub.storage.Digest;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.Variant;
import io.quanthub.storage.VariantStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The levels of a revision's quant table ({@link QuantTable}): every quant level of a model at one commit, available
 * (a variant the hub's converter made from the model's source), pushed (a GGUF file of that level in the commit) or
 * missing, with its size (exact when available, else the converter's plan from the source's tensor table, else an
 * estimate from a GGUF's tensor table), bits per weight and VRAM estimates.
 *
 * <p>A variant whose file is not in the commit (one the converter cluster produced on demand) is still served from
 * the commit, under the name {@link #variantPath}: {@code GET /{org}/{name}/resolve/{rev}/{name}-{QUANT}.gguf}.
 */
final class RevisionLevels {
    /**
     * A level the revision offers: a variant the hub's converter made ({@code key} its record; {@code path} the
     * commit's file holding the same bytes, or null when it is only served under {@link #variantPath}), or a GGUF
     * file pushed to the repository ({@code pushed}, {@code key} null, {@code path} the file).
     */
    record Available(Variant.Key key, Blob blob, double bitsPerWeight, String path, boolean pushed) {}

    private RevisionLevels() {}

    /** The available levels, best first: Q8_0, then the others in {@link QuantLevel} (precision) order. */
    static List<QuantLevel> availableLevels(ModelCatalog.ModelFacts facts, VariantStore variants) {
        return bestFirst(available(facts, variants).keySet());
    }

    /**
     * The level {@code org/name} without {@code :QUANT} resolves to: Q8_0, else the highest precision available
     * among the GGUF files of the revision. Variants produced on demand are left out, so what a revision's default
     * is does not change when someone asks for a quant.
     */
    static Optional<QuantLevel> defaultLevel(ModelCatalog.ModelFacts facts) {
        List<QuantLevel> levels = new ArrayList<>();
        for (ModelCatalog.GgufModel gguf : facts.ggufs()) {
            if (gguf.level() != null) levels.add(gguf.level());
        }
        return bestFirst(levels).stream().findFirst();
    }

    /**
     * The name a variant without a file in the commit is served under: the repository's name and the level, as
     * GGUF repositories on Hugging Face name their files ({@code FLUX.1-dev-Q4_K_S.gguf}).
     */
    static String variantPath(RepoName repo, QuantLevel level) {
        return repo.name() + "-" + level.name() + ".gguf";
    }

    private static List<QuantLevel> bestFirst(Collection<QuantLevel> levels) {
        List<QuantLevel> sorted = new ArrayList<>(levels);
        sorted.sort((a, b) -> Integer.compare(rank(a), rank(b)));
        return sorted;
    }

    private static int rank(QuantLevel level) {
        return level == QuantLevel.Q8_0 ? -1 : level.ordinal();
    }

    /** The rows of {@code repo} at {@code commit}, whose model files {@code facts} describes. */
    static List<QuantTable.Level> rows(RepoName repo, Commit commit, ModelCatalog.ModelFacts facts,
                                       VariantStore variants, VariantQualities qualities) {
        return rows(repo, commit, facts, variants, qualities, null);
    }

    /**
     * The rows, with VRAM estimates that count the model's own text encoders ({@code textEncoderBytes}, their real
     * sizes) when known, else its architecture's usual ones.
     */
    static List<QuantTable.Level> rows(RepoName repo, Commit commit, ModelCatalog.ModelFacts facts,
                                       VariantStore variants, VariantQualities qualities, Long textEncoderBytes) {
        Map<QuantLevel, Available> available = available(facts, variants);
        List<QuantTable.Level> rows = new ArrayList<>();
        for (QuantLevel level : QuantLevel.values()) {
            Available a = available.get(level);
            if (a != null) {
                String path = a.path();
                // The served name of a variant, unless a file of the commit already has that name.
                if (path == null && commit.file(variantPath(repo, level)).isEmpty()) path = variantPath(repo, level);
                QuantTable.Status status = a.pushed() ? QuantTable.Status.PUSHED : QuantTable.Status.AVAILABLE;
                rows.add(new QuantTable.Level(level.name(), status, a.blob().size(), false, a.bitsPerWeight(),
                        vram(facts.architecture(), a.blob().size(), textEncoderBytes), path, a.blob().digest(),
                        a.pushed() ? null : qualities.of(a.key()).orElse(null)));
                continue;
            }
            Long size = null;
            Double bits = null;
            ModelCatalog.Planned planned = facts.source() == null ? null : facts.source().planned().get(level);
            if (planned != null) {
                size = planned.size();
                bits = planned.bitsPerWeight();
            } else {
                // No safetensors source: estimate from the largest GGUF's tensor table.
                Optional<ModelCatalog.GgufModel> reference = facts.ggufs().stream()
                        .max(Comparator.comparingLong(ModelCatalog.GgufModel::parameters));
                if (reference.isPresent() && reference.get().parameters() > 0) {
                    size = ModelCatalog.estimateFrom(reference.get().header(), level);
                    long tensorBytes = size - reference.get().header().dataOffset();
                    bits = tensorBytes * 8.0 / reference.get().parameters();
                }
            }
            rows.add(new QuantTable.Level(level.name(), QuantTable.Status.MISSING, size, true, bits,
                    size == null ? null : vram(facts.architecture(), size, textEncoderBytes), null, null, null));
        }
        return rows;
    }

    private static QuantTable.Vram vram(String architecture, long size, Long textEncoderBytes) {
        return new QuantTable.Vram(VramEstimate.forWeights(size),
                VramEstimate.withTextEncodersAndVae(architecture, size, textEncoderBytes));
    }

    /**
     * The levels a revision offers, at most one each: a variant the hub's converter made from the revision's source
     * (the hub vouches for those: same source bytes, level and converter version, whoever asked) wins over a GGUF
     * file of that level pushed to the repository (which is that repository's file alone: another repository with
     * the same source never sees it).
     */
    static Map<QuantLevel, Available> available(ModelCatalog.ModelFacts facts, VariantStore variants) {
        Map<QuantLevel, Available> available = new EnumMap<>(QuantLevel.class);
        Map<Digest, String> pathsByDigest = new HashMap<>();
        facts.ggufs().forEach(gguf -> pathsByDigest.putIfAbsent(gguf.blob().digest(), gguf.path()));
        facts.sourceDigest().ifPresent(source -> {
            for (Variant v : variants.list(source)) {
                if (v.status() != Variant.Status.AVAILABLE) continue;
                QuantLevel level = level(v.key().quant());
                if (level == null || available.containsKey(level)) continue;
                available.put(level, new Available(v.key(), v.output(), v.bitsPerWeight(),
                        pathsByDigest.get(v.output().digest()), false));
            }
        });
        for (ModelCatalog.GgufModel gguf : facts.ggufs()) {
            if (gguf.level() != null) {
                available.putIfAbsent(gguf.level(),
                        new Available(null, gguf.blob(), gguf.bitsPerWeight(), gguf.path(), true));
            }
        }
        return available;
    }

    private static QuantLevel level(String quant) {
        for (QuantLevel level : QuantLevel.values()) {
            if (level.name().equals(quant)) return level;
        }
        return null;
    }
}
