package io.quanthub.cluster;

import io.quanthub.storage.Digest;
import io.quanthub.storage.Variant;
import java.io.Serializable;

/**
 * A conversion job's key in the cluster maps: the variant it produces (source digest, quant, converter version),
 * in a form Hazelcast can serialize and compare by bytes.
 */
public record JobId(String sourceHex, String quant, String converterVersion) implements Serializable {
    public static JobId of(Variant.Key key) {
        return new JobId(key.source().hex(), key.quant(), key.converterVersion());
    }

    public Variant.Key variantKey() {
        return new Variant.Key(new Digest(sourceHex), quant, converterVersion);
    }

    @Override
    public String toString() {
        return variantKey().toString();
    }
}
