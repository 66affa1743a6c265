package io.quanthub.storage;

import io.minio.AbortMultipartUploadArgs;
import io.minio.BucketExistsArgs;
import io.minio.CompleteMultipartUploadArgs;
import io.minio.ComposeObjectArgs;
import io.minio.CopyObjectArgs;
import io.minio.CreateMultipartUploadArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.HeadObjectArgs;
import io.minio.HeadObjectResponse;
import io.minio.Http;
import io.minio.ListMultipartUploadsArgs;
import io.minio.ListObjectsArgs;
import io.minio.ListPartsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.SourceObject;
import io.minio.UploadPartArgs;
import io.minio.UploadPartCopyArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.MinioException;
import io.minio.messages.Item;
import io.minio.messages.ListMultipartUploadsResult;
import io.minio.messages.ListPartsResult;
import io.minio.messages.Part;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The only class that talks to S3: one bucket, blocking calls, S3 errors translated to {@link StorageException}s
 * (404 to {@link StorageException.NotFound}, 412 to {@link StorageException.PreconditionFailed}).
 *
 * <p>MinIO's asynchronous client is used because only it exposes the multipart and part-copy calls; every method
 * here waits for the result, so callers run on worker or virtual threads, never on an event loop. Connecting
 * creates the bucket if needed and checks that the server honours conditional writes.
 */
final class ObjectStore implements AutoCloseable {
    /** S3's limit for a single CopyObject; bigger objects are copied part by part. */
    static final long MAX_SINGLE_COPY = 5L << 30;

    /**
     * S3Proxy's filesystem backend writes an object to the file {@code <key>-<uuid>} first and links it into place
     * when complete, and lists that temporary file while the write is in progress. It is not an object (it may
     * vanish a moment later, or never become one when a conditional write fails), so listings skip it. None of this
     * module's own keys ends in {@code -<uuid>}.
     */
    private static final Pattern IN_PROGRESS_WRITE =
            Pattern.compile(".*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    record ObjectInfo(String key, long size, Instant lastModified, String etag) {}

    /** A multipart upload that was started and neither completed nor aborted. */
    record PendingUpload(String key, String uploadId, Instant initiated) {}

    /** Object bytes together with the ETag they had when read, for a later {@link #putIfMatch}. */
    record Versioned(byte[] data, String etag) {}

    /**
     * How much this store asked of S3 so far: requests sent (a listing counts once per call) and objects named by
     * listings. Tests use the difference between two snapshots to show that an operation's cost does not grow with
     * the data behind it.
     */
    record Traffic(long requests, long listedObjects) {
        Traffic minus(Traffic earlier) {
            return new Traffic(requests - earlier.requests, listedObjects - earlier.listedObjects);
        }
    }

    private final MinioAsyncClient client;
    private final String bucket;
    private final LongAdder requests = new LongAdder();
    private final LongAdder listedObjects = new LongAdder();

    private ObjectStore(MinioAsyncClient client, String bucket) {
        this.client = client;
        this.bucket = bucket;
    }

    /** Connects and creates the bucket if it does not exist yet. */
    static ObjectStore connect(S3Settings settings) {
        MinioAsyncClient client = MinioAsyncClient.builder()
                .endpoint(settings.endpoint().toString())
                .region(settings.region())
                .credentials(settings.accessKey(), settings.secretKey())
                .build();
        ObjectStore store = new ObjectStore(client, settings.bucket());
        try {
            store.createBucketIfMissing();
            store.requireConditionalWrites(settings.endpoint().toString());
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    String bucket() {
        return bucket;
    }

    Traffic traffic() {
        return new Traffic(requests.sum(), listedObjects.sum());
    }

    private void createBucketIfMissing() {
        String what = "create bucket " + bucket;
        if (await(client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()), what)) return;
        try {
            await(client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build()), what);
        } catch (StorageException e) {
            // Another hub process created it between our check and our request.
            if (!await(client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()), what)) throw e;
        }
    }

    /**
     * Refs are only safe if the server refuses a second {@code If-None-Match: *} write to one key. Servers that
     * predate conditional writes ignore the header and would let concurrent pushes overwrite each other silently,
     * so check once at startup and refuse to run on them.
     */
    private void requireConditionalWrites(String endpoint) {
        String probe = "checks/conditional-write/" + UUID.randomUUID();
        byte[] marker = {1};
        put(probe, marker);
        boolean refusedSecondWrite;
        try {
            refusedSecondWrite = !putIfAbsent(probe, marker);
        } finally {
            delete(probe);
        }
        if (!refusedSecondWrite) {
            throw new StorageException("the S3 server at " + endpoint
                    + " ignores If-None-Match on writes; QuantHub needs conditional writes to move refs safely");
        }
    }

    // ---- small objects -------------------------------------------------------------------------------------------

    void put(String key, byte[] data) {
        await(client.putObject(putArgs(key, data, Map.of())), "put " + key);
    }

    /** Creates the object only if the key is free ({@code If-None-Match: *}); false when it already exists. */
    boolean putIfAbsent(String key, byte[] data) {
        try {
            await(client.putObject(putArgs(key, data, Map.of("If-None-Match", "*"))), "create " + key);
            return true;
        } catch (StorageException.PreconditionFailed e) {
            return false;
        }
    }

    /** Replaces the object only if it still has {@code etag} ({@code If-Match}); false when it changed. */
    boolean putIfMatch(String key, byte[] data, String etag) {
        try {
            await(client.putObject(putArgs(key, data, Map.of("If-Match", quoteEtag(etag)))), "update " + key);
            return true;
        } catch (StorageException.PreconditionFailed e) {
            return false;
        }
    }

    private PutObjectArgs putArgs(String key, byte[] data, Map<String, String> headers) {
        return PutObjectArgs.builder().bucket(bucket).object(key).data(data, data.length).headers(headers).build();
    }

    Optional<Versioned> getVersioned(String key) {
        try (GetObjectResponse in = await(client.getObject(
                GetObjectArgs.builder().bucket(bucket).object(key).build()), "get " + key)) {
            return Optional.of(new Versioned(in.readAllBytes(), unquoteEtag(in.headers().get("ETag"))));
        } catch (StorageException.NotFound e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageException("get " + key + ": " + e.getMessage(), e);
        }
    }

    Optional<byte[]> get(String key) {
        return getVersioned(key).map(Versioned::data);
    }

    /** Streams {@code length} bytes from {@code offset} (length -1: to the end; not 0). NotFound if absent. */
    InputStream get(String key, long offset, long length) {
        GetObjectArgs.Builder args = GetObjectArgs.builder().bucket(bucket).object(key);
        if (length > 0) args.offset(offset).length(length);
        else if (offset > 0) args.offset(offset);
        return await(client.getObject(args.build()), "get " + key);
    }

    Optional<ObjectInfo> stat(String key) {
        try {
            HeadObjectResponse head = await(client.headObject(
                    HeadObjectArgs.builder().bucket(bucket).object(key).build()), "stat " + key);
            return Optional.of(new ObjectInfo(key, head.size(), head.lastModified().toInstant(),
                    unquoteEtag(head.etag())));
        } catch (StorageException.NotFound e) {
            return Optional.empty();
        }
    }

    void delete(String key) {
        await(client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build()), "delete " + key);
    }

    // ---- listing ---------------------------------------------------------------------------------------------------

    /** Every object under {@code prefix}, in key order, fetched page by page as the stream is consumed. */
    Stream<ObjectInfo> list(String prefix) {
        return list(prefix, null);
    }

    /** Like {@link #list(String)} but only keys after {@code startAfter}. */
    Stream<ObjectInfo> list(String prefix, String startAfter) {
        ListObjectsArgs.Builder args = ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true);
        if (startAfter != null) args.startAfter(startAfter);
        Iterable<Result<Item>> pages = client.listObjects(args.build());
        requests.increment();
        return StreamSupport.stream(pages.spliterator(), false)
                .map(result -> unwrap(result, "list " + prefix))
                .peek(item -> listedObjects.increment())
                .filter(item -> !IN_PROGRESS_WRITE.matcher(item.objectName()).matches())
                .map(item -> new ObjectInfo(item.objectName(), item.size(), item.lastModified().toInstant(),
                        unquoteEtag(item.etag())));
    }

    /** The names one level below {@code prefix} (which ends with '/'): "sub-folders" and objects alike. */
    List<String> listChildren(String prefix) {
        Iterable<Result<Item>> pages = client.listObjects(
                ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(false).build());
        requests.increment();
        List<String> names = new ArrayList<>();
        for (Result<Item> result : pages) {
            listedObjects.increment();
            String key = unwrap(result, "list " + prefix).objectName();
            if (IN_PROGRESS_WRITE.matcher(key).matches()) continue;
            String child = key.substring(prefix.length());
            names.add(child.endsWith("/") ? child.substring(0, child.length() - 1) : child);
        }
        return names;
    }

    // ---- multipart -------------------------------------------------------------------------------------------------

    String startMultipart(String key) {
        return await(client.createMultipartUpload(
                CreateMultipartUploadArgs.builder().bucket(bucket).object(key).build()), "start upload " + key)
                .result().uploadId();
    }

    /**
     * Sends one part without waiting; {@code data} must stay untouched until the future completes. Part numbers
     * start at 1.
     */
    CompletableFuture<Part> uploadPart(String key, String uploadId, int partNumber, byte[] data, int length) {
        return client.uploadPart(UploadPartArgs.builder().bucket(bucket).object(key)
                        .uploadId(uploadId).partNumber(partNumber).data(data, length).build())
                .thenApply(response -> response.part());
    }

    static Part awaitPart(CompletableFuture<Part> part, String key) {
        return awaitResult(part, "upload part of " + key);
    }

    void completeMultipart(String key, String uploadId, List<Part> parts) {
        await(client.completeMultipartUpload(CompleteMultipartUploadArgs.builder().bucket(bucket).object(key)
                .uploadId(uploadId).parts(parts.toArray(Part[]::new)).build()), "complete upload " + key);
    }

    void abortMultipart(String key, String uploadId) {
        await(client.abortMultipartUpload(AbortMultipartUploadArgs.builder().bucket(bucket).object(key)
                .uploadId(uploadId).build()), "abort upload " + key);
    }

    /** The bytes of the parts an unfinished multipart upload holds so far (0 once it is gone). */
    long multipartBytes(String key, String uploadId) {
        long bytes = 0;
        Integer marker = null;
        try {
            while (true) {
                ListPartsArgs.Builder args = ListPartsArgs.builder().bucket(bucket).object(key).uploadId(uploadId);
                if (marker != null) args.partNumberMarker(marker);
                ListPartsResult page = await(client.listParts(args.build()), "list parts of " + key).result();
                for (Part part : page.parts()) bytes += part.partSize();
                if (!page.isTruncated()) return bytes;
                marker = page.nextPartNumberMarker();
            }
        } catch (StorageException.NotFound e) {
            return bytes;
        }
    }

    /** Multipart uploads under {@code prefix} that were neither completed nor aborted. */
    List<PendingUpload> listMultipartUploads(String prefix) {
        List<PendingUpload> uploads = new ArrayList<>();
        String keyMarker = null;
        String uploadIdMarker = null;
        while (true) {
            ListMultipartUploadsArgs.Builder args = ListMultipartUploadsArgs.builder().bucket(bucket).prefix(prefix);
            if (keyMarker != null) args.keyMarker(keyMarker).uploadIdMarker(uploadIdMarker);
            ListMultipartUploadsResult page =
                    await(client.listMultipartUploads(args.build()), "list uploads " + prefix).result();
            for (ListMultipartUploadsResult.Upload u : page.uploads()) {
                uploads.add(new PendingUpload(u.objectName(), u.uploadId(), u.initiated().toInstant()));
            }
            if (!page.isTruncated()) return uploads;
            keyMarker = page.nextKeyMarker();
            uploadIdMarker = page.nextUploadIdMarker();
        }
    }

    // ---- server-side copy ------------------------------------------------------------------------------------------

    /**
     * Copies {@code source} (of {@code size} bytes) to {@code target} inside the bucket without moving the bytes
     * through this process: one CopyObject up to {@code maxCopyPart} bytes (at most S3's 5 GiB), a multipart copy
     * in ranges of {@code maxCopyPart} above that. Keys must be plain ASCII without characters that need
     * URL-encoding (this module's keys are).
     */
    void copy(String source, String target, long size, long maxCopyPart) {
        if (maxCopyPart > MAX_SINGLE_COPY) throw new IllegalArgumentException("copy part above 5 GiB: " + maxCopyPart);
        if (size <= maxCopyPart) {
            await(client.copyObject(CopyObjectArgs.builder().bucket(bucket).object(target)
                    .source(SourceObject.builder().bucket(bucket).object(source).build()).build()),
                    "copy " + source + " to " + target);
            return;
        }
        // MinIO's composeObject sends the source ETag unquoted in x-amz-copy-source-if-match, which S3Proxy rejects
        // with 412, and UploadPartCopyArgs.builder() cannot be built in 9.0.4 (private constructor); the public
        // constructor below takes the target from a ComposeObjectArgs and the copy headers from us.
        ComposeObjectArgs target0 = ComposeObjectArgs.builder().bucket(bucket).object(target)
                .sources(new ArrayList<>(List.of(SourceObject.builder().bucket(bucket).object(source).build())))
                .build();
        String uploadId = startMultipart(target);
        try {
            List<Part> parts = new ArrayList<>();
            int partNumber = 1;
            for (long offset = 0; offset < size; offset += maxCopyPart, partNumber++) {
                long last = Math.min(offset + maxCopyPart, size) - 1;
                Http.Headers headers = new Http.Headers(Map.of(
                        "x-amz-copy-source", "/" + bucket + "/" + source,
                        "x-amz-copy-source-range", "bytes=" + offset + "-" + last));
                parts.add(await(client.uploadPartCopy(new UploadPartCopyArgs(target0, uploadId, partNumber, headers)),
                        "copy part of " + source + " to " + target).part());
            }
            completeMultipart(target, uploadId, parts);
        } catch (RuntimeException e) {
            abortQuietly(target, uploadId, e);
            throw e;
        }
    }

    /** Aborts after a failure; a failing abort is attached to the original error instead of replacing it. */
    void abortQuietly(String key, String uploadId, Throwable original) {
        try {
            abortMultipart(key, uploadId);
        } catch (RuntimeException abortFailure) {
            original.addSuppressed(abortFailure);
        }
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (Exception e) {
            throw new StorageException("cannot close the S3 client: " + e, e);
        }
    }

    // ---- error translation -----------------------------------------------------------------------------------------

    /** Waits for an S3 call; interruptible, unlike join(). */
    private <T> T await(CompletableFuture<T> call, String what) {
        requests.increment();
        return awaitResult(call, what);
    }

    private static <T> T awaitResult(CompletableFuture<T> call, String what) {
        try {
            return call.get();
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw new StorageException(what + ": interrupted", e);
        } catch (ExecutionException e) {
            throw translate(e.getCause(), what);
        }
    }

    private static <T> T unwrap(Result<T> result, String what) {
        try {
            return result.get();
        } catch (MinioException e) {
            throw translate(e, what);
        }
    }

    private static StorageException translate(Throwable cause, String what) {
        if (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof StorageException s) return s;
        if (cause instanceof ErrorResponseException e) {
            int status = e.response().code();
            String code = e.errorResponse().code();
            if (status == 404) return new StorageException.NotFound(what + ": not found (" + code + ")");
            if (status == 412) return new StorageException.PreconditionFailed(what + ": precondition failed");
            return new StorageException(what + ": S3 error " + status + " " + code + ": " + e.errorResponse().message(),
                    e);
        }
        return new StorageException(what + ": " + cause, cause);
    }

    private static String quoteEtag(String etag) {
        return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
    }

    private static String unquoteEtag(String etag) {
        if (etag == null) return null;
        return etag.startsWith("\"") && etag.endsWith("\"") && etag.length() >= 2
                ? etag.substring(1, etag.length() - 1) : etag;
    }
}
