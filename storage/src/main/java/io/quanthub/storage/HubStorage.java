package io.quanthub.storage;

/**
 * The storage layer in one object: blobs, repositories with refs, variants, tokens, accounts and garbage collection
 * on one bucket.
 *
 * <pre>{@code
 * try (EmbeddedS3 s3 = EmbeddedS3.start(dataDir);
 *      HubStorage storage = HubStorage.open(S3Settings.fromEnvironment().orElse(s3.settings("quanthub")))) {
 *     Blob blob = storage.blobs().put(upload, maxBytes);
 *     storage.repos().commit(CommitRequest.onHead(repo, "main", Changes.put("model.gguf", blob), user, "add"));
 * }
 * }</pre>
 *
 * <p>Every call blocks on S3: run it on worker or virtual threads, never on an event loop. Instances are
 * thread-safe; share one per process.
 */
public final class HubStorage implements AutoCloseable {
    private final ObjectStore s3;
    private final BlobStore blobs;
    private final RepoStore repos;
    private final VariantStore variants;
    private final TokenStore tokens;
    private final AccountStore accounts;
    private final GarbageCollector gc;
    private final StagedUploads staged;
    private final BlobAccess access;
    private final PreviewImages previews;

    private HubStorage(ObjectStore s3, StorageOptions options) {
        this.s3 = s3;
        UploadLeases leases = new UploadLeases(s3, options);
        this.blobs = new BlobStore(s3, leases, options);
        this.access = new BlobAccess(s3);
        this.repos = new RepoStore(s3, blobs, access, new Refs(s3, options), options);
        this.variants = new VariantStore(s3, blobs);
        this.tokens = new TokenStore(s3, options);
        this.accounts = new AccountStore(s3, options);
        this.gc = new GarbageCollector(s3, leases, options);
        this.staged = new StagedUploads(s3, leases, options);
        this.previews = new PreviewImages(s3);
    }

    /** Connects with default options, creating the bucket if it does not exist. */
    public static HubStorage open(S3Settings settings) {
        return open(settings, StorageOptions.defaults());
    }

    public static HubStorage open(S3Settings settings, StorageOptions options) {
        return new HubStorage(ObjectStore.connect(settings), options);
    }

    public BlobStore blobs() {
        return blobs;
    }

    public RepoStore repos() {
        return repos;
    }

    public Refs refs() {
        return repos.refs();
    }

    public VariantStore variants() {
        return variants;
    }

    /** Which repositories a blob was uploaded to or is held by: what a commit may reference (Git LFS's rule). */
    public BlobAccess access() {
        return access;
    }

    /**
     * Brings a bucket written by an older version up to date, once (each step leaves a marker): see
     * {@link Migrations}. Safe to run from several processes at once.
     */
    public Migrations.Report migrate() {
        return new Migrations(s3, access, variants).run();
    }

    public TokenStore tokens() {
        return tokens;
    }

    /** Users, organisations and memberships. */
    public AccountStore accounts() {
        return accounts;
    }

    public GarbageCollector gc() {
        return gc;
    }

    /** What inference nodes rendered for preview jobs. */
    public PreviewImages previews() {
        return previews;
    }

    /** Blobs written part by part by several processes (the converter cluster's output). */
    public StagedUploads staged() {
        return staged;
    }

    /** One cheap request to the bucket (a HEAD); throws {@link StorageException} when S3 does not answer. */
    public void ping() {
        s3.stat(TokenStore.PREFIX);
    }

    /** The bucket's underlying object store, for tests in this package. */
    ObjectStore objects() {
        return s3;
    }

    @Override
    public void close() {
        s3.close();
    }
}
