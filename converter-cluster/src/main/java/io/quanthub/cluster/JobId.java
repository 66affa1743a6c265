package io.quanthub.cluster;

import io.quanthub.storage.Digest;
import io.quanthub.storage.Variant;
import java.io.Serializable;
import java.util.Optional;

/**
 * A conversion job's key in the cluster maps: the variant it produces (source digest, quant, converter version),
 * in a form Hazelcast can serialize and compare by bytes. Its {@link #text()} is the job id the hub shows.
 */
public record JobId(String sourceHex, String quant, String converterVersion) implements Serializable {
    public static JobId of(Variant.Key key) {
        return new JobId(key.source().hex(), key.quant(), key.converterVersion());
    }

    /**
     * The id as text, {@code <source hex>-<quant>-<converter version>}: URL-safe, and it parses back because the
     * hex has a fixed length and quant names have no '-'.
     */
    public String text() {
        return sourceHex + "-" + quant + "-" + converterVersion;
    }

    /** The id {@link #text()} wrote; empty for anything else. */
    public static Optional<JobId> parse(String text) {
        if (text == null || text.length() < 68 || text.charAt(64) != '-') return Optional.empty();
        int dash = text.indexOf('-', 65);
        if (dash < 0) return Optional.empty();
        try {
            Variant.Key key = new Variant.Key(new Digest(text.substring(0, 64)), text.substring(65, dash),
                    text.substring(dash + 1));
            return Optional.of(of(key));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public Variant.Key variantKey() {
        return new Variant.Key(new Digest(sourceHex), quant, converterVersion);
    }

    @Override
    public String toString() {
        return variantKey().toString();
    }
}
