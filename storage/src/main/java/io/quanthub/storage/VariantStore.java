package io.quanthub.storage;

import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Variant records at {@code variants/<source hex>/<quant>/<converter version>.json}. A request is created once
 * ({@code If-None-Match: *}); later changes are read-modify-write guarded by the object's ETag
 * ({@code If-Match}) and retried when another writer got there first. An available variant never changes its
 * output. All methods block.
 *
 * <p>S3Proxy's filesystem backend checks {@code If-Match} before writing rather than atomically with the write;
 * the guard is exact on AWS S3 and MinIO. Conversions are deterministic, so two converters finishing the same
 * variant write the same record either way.
 */
public final class VariantStore {
    private static final String PREFIX = "variants/";
    /** Quality records live beside, not under, {@link #PREFIX}, so that listing a source's variants stays cheap. */
    private static final String QUALITY_PREFIX = "quality/";
    private static final int MAX_ATTEMPTS = 16;

    private final ObjectStore s3;
    private final BlobStore blobs;

    VariantStore(ObjectStore s3, BlobStore blobs) {
        this.s3 = s3;
        this.blobs = blobs;
    }

    static String key(Variant.Key key) {
        return PREFIX + key.source().hex() + "/" + key.quant() + "/" + key.converterVersion() + ".json";
    }

    static String qualityKey(Variant.Key key) {
        return QUALITY_PREFIX + key.source().hex() + "/" + key.quant() + "/" + key.converterVersion() + ".json";
    }

    public Optional<Variant> get(Variant.Key key) {
        return s3.get(key(key)).map(json -> StoredJson.read(json, Variant.class, key(key)));
    }

    /** Where the repositories that asked for a variant are listed, one empty object each. */
    private static final String REQUESTERS_PREFIX = "requesters/";

    static String requestersPrefix(Variant.Key key) {
        return REQUESTERS_PREFIX + key.source().hex() + "/" + key.quant() + "/" + key.converterVersion() + "/";
    }

    /**
     * Records that {@code repo} asked for the variant. A variant is shared by every repository holding its source,
     * so its {@link Variant#provenance()} names only the first; the others are listed here, so that whoever may see
     * any of them may follow the variant's job.
     */
    public void addRequester(Variant.Key key, RepoName repo) {
        s3.putIfAbsent(requestersPrefix(key) + repo.owner() + "/" + repo.name(), new byte[0]);
    }

    /** Every repository that asked for the variant, in name order (the provenance's repository may be missing). */
    public List<RepoName> requesters(Variant.Key key) {
        String prefix = requestersPrefix(key);
        return s3.list(prefix).map(info -> RepoName.parse(info.key().substring(prefix.length()))).toList();
    }

    /** Every variant record of every source (for migrations; its cost grows with the number of variants). */
    List<Variant> all() {
        return s3.list(PREFIX)
                .flatMap(info -> s3.get(info.key()).stream().map(json -> StoredJson.read(json, Variant.class, info.key())))
                .toList();
    }

    /** Deletes a variant record and its quality record. */
    void delete(Variant.Key key) {
        s3.delete(key(key));
        s3.delete(qualityKey(key));
    }

    /** Every variant of one source file, ordered by quant type and converter version. */
    public List<Variant> list(Digest source) {
        return s3.list(PREFIX + source.hex() + "/")
                .flatMap(info -> s3.get(info.key()).stream().map(json -> StoredJson.read(json, Variant.class, info.key())))
                .toList();
    }

    /**
     * Asks for a variant to be produced: records it {@code PENDING} unless a record exists, and returns the record
     * that is stored (the existing one, if any, so callers see an available variant at once).
     */
    public Variant request(Variant.Key key, Variant.Provenance provenance) {
        Variant pending = new Variant(key, Variant.Status.PENDING, null, null, provenance, null);
        if (s3.putIfAbsent(key(key), StoredJson.write(pending))) return pending;
        return get(key).orElseThrow(() -> new StorageException("variant " + key + " vanished while requested"));
    }

    /**
     * Records a variant as available with its GGUF blob, which must be uploaded. Used by the converter when it
     * finishes: only what the hub's converter made from the source is a variant (a GGUF file someone pushes is a
     * file of that repository alone, never shared by source digest). Registering the same output again is a no-op;
     * a different output for an available variant is {@link StorageException.AlreadyExists}.
     */
    public Variant registerVariant(Variant.Key key, Blob output, double bitsPerWeight, Variant.Provenance provenance) {
        Blob stored = blobs.stat(output.digest()).orElseThrow(() ->
                new StorageException.NotFound("variant output " + output.digest() + " is not uploaded"));
        if (stored.size() != output.size()) {
            throw new IllegalArgumentException("variant output " + output.digest() + " has " + stored.size()
                    + " bytes, not " + output.size());
        }
        Variant available = new Variant(key, Variant.Status.AVAILABLE, output, bitsPerWeight, provenance, null);
        return update(key, available, existing -> {
            if (existing.status() != Variant.Status.AVAILABLE) return available;
            if (existing.output().equals(output)) return existing;
            throw new StorageException.AlreadyExists("variant " + key + " is already available as "
                    + existing.output().digest());
        });
    }

    /**
     * Like {@link #registerVariant(Variant.Key, Blob, double, Variant.Provenance)}, storing the converter's
     * quality measurements first, so whoever sees the variant available also finds its quality record.
     */
    public Variant registerVariant(Variant.Key key, Blob output, double bitsPerWeight, Variant.Provenance provenance,
                                   VariantQuality quality) {
        s3.put(qualityKey(key), StoredJson.write(quality));
        return registerVariant(key, output, bitsPerWeight, provenance);
    }

    /** The quality the converter measured for a variant it produced; empty for pushed quants and pending ones. */
    public Optional<VariantQuality> quality(Variant.Key key) {
        return s3.get(qualityKey(key)).map(json -> StoredJson.read(json, VariantQuality.class, qualityKey(key)));
    }

    /** Records that producing a variant failed; an available variant stays available. */
    public Variant markFailed(Variant.Key key, String error) {
        if (error == null || error.isBlank()) throw new IllegalArgumentException("failure reason is empty");
        return update(key, null, existing -> existing.status() == Variant.Status.AVAILABLE ? existing
                : new Variant(key, Variant.Status.FAILED, null, null, existing.provenance(), error));
    }

    /**
     * Applies {@code change} to the stored record with an ETag guard, retrying when another writer changed it in
     * between. With no record yet, {@code initial} is created (or NotFound when it is null).
     */
    private Variant update(Variant.Key key, Variant initial, UnaryOperator<Variant> change) {
        String objectKey = key(key);
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Optional<ObjectStore.Versioned> stored = s3.getVersioned(objectKey);
            if (stored.isEmpty()) {
                if (initial == null) throw new StorageException.NotFound("variant " + key + " not found");
                if (s3.putIfAbsent(objectKey, StoredJson.write(initial))) return initial;
                continue;
            }
            Variant existing = StoredJson.read(stored.get().data(), Variant.class, objectKey);
            Variant next = change.apply(existing);
            if (next.equals(existing)) return existing;
            if (s3.putIfMatch(objectKey, StoredJson.write(next), stored.get().etag())) return next;
        }
        throw new StorageException("variant " + key + " kept changing; gave up after " + MAX_ATTEMPTS + " attempts");
    }
}
