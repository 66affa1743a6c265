package io.quanthub.hub;

import io.quanthub.hub.api.QuantTable;
import io.quanthub.storage.Variant;
import io.quanthub.storage.VariantStore;
import java.util.Map;
import java.util.Optional;

/**
 * The converter's quality numbers of available variants (relative RMSE and cosine similarity to the source), read
 * from storage once per variant: a variant's record never changes once it is available. Pushed quants have none.
 *
 * <p>Blocks on storage: call from worker threads.
 */
final class VariantQualities {
    private final VariantStore variants;
    private final Map<Variant.Key, Optional<QuantTable.Quality>> known = ModelCatalog.lru(4096);

    VariantQualities(VariantStore variants) {
        this.variants = variants;
    }

    /** The quality the converter measured for a variant it made. */
    Optional<QuantTable.Quality> of(Variant.Key key) {
        Optional<QuantTable.Quality> cached = known.get(key);
        if (cached != null) return cached;
        Optional<QuantTable.Quality> quality = variants.quality(key)
                .map(q -> new QuantTable.Quality(q.relativeRmse(), q.cosine()));
        known.put(key, quality);
        return quality;
    }
}
