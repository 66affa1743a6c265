package io.quanthub.hub;

import io.quanthub.storage.Blob;
import io.quanthub.storage.Changes;
import io.quanthub.storage.Commit;
import io.quanthub.storage.CommitRequest;
import io.quanthub.storage.Digest;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.StorageException;
import io.quanthub.storage.Variant;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.streams.Pipe;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writing to a repository: {@code PUT /api/models/{org}/{name}/uploads} streams one file into content-addressed
 * storage (at most {@link HubConfig#maxUploadsPerUser()} at a time per caller, 429 above; 408 when the client sends
 * nothing for {@link HubConfig#uploadIdleTimeout()}); {@code POST /api/models/{org}/{name}/commits/{branch}} makes
 * uploaded files (and deletions) a commit, and registers every GGUF file it adds as a quant variant of the
 * repository's model.
 */
final class UploadRoutes {
    /** Bytes of an upload waiting between the socket and storage. */
    static final int HIGH_WATER = 1 << 20;
    /**
     * Body bytes read and dropped after an upload is refused (so that a client that sends before it reads still
     * gets the answer); past this the hub stops reading and cuts the connection.
     */
    static final long DISCARD_LIMIT = 64L << 20;
    /** How long a client gets to read the answer before an abandoned connection is cut. */
    static final long ABANDON_GRACE_MILLIS = 5_000;
    /** The converter version of variants that were pushed ready-made. */
    static final String UPLOAD_VERSION = "upload";

    record Uploaded(Digest digest, long size) {}

    record FileRef(Digest digest, Long size) {}

    record CommitBody(String message, String parent, Map<String, FileRef> files, List<String> deletes) {}

    /** A GGUF file of the commit recorded as a variant of {@code source}, or why it was not. */
    record VariantRecord(String path, String quant, Digest source, String error) {}

    record Committed(String id, String parent, String branch, String author, String message, Instant time,
                     int files, List<VariantRecord> variants) {}

    private static final System.Logger LOG = System.getLogger(UploadRoutes.class.getName());

    private final Hub hub;

    UploadRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router, BodyHandler json) {
        // No BodyHandler here: the body is streamed to storage.
        router.put("/api/models/:org/:name/uploads").handler(this::upload);
        router.post("/api/models/:org/:name/commits/:branch").handler(json).handler(this::commit);
    }

    // ---- upload ---------------------------------------------------------------------------------------------------

    private void upload(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        // First, before any asynchronous step: pause the body, or the bytes that arrive meanwhile are lost.
        Pipe<Buffer> pipe = request.pipe();
        pipe.endOnFailure(false);
        Context context = ctx.vertx().getOrCreateContext();
        BodyInputStream body = new BodyInputStream(context, HIGH_WATER, DISCARD_LIMIT, () -> abandon(ctx));
        RepoName repo;
        Digest expected;
        long limit = hub.config.maxUploadBytes();
        try {
            repo = Hub.repo(ctx);
            expected = expectedDigest(request.getHeader("X-Content-Sha256"));
            long declared = declaredLength(request.getHeader("Content-Length"));
            if (declared > limit) {
                throw new StorageException.TooLarge(limit);
            }
        } catch (RuntimeException e) {
            refuse(ctx, pipe, body, e);
            return;
        }
        hub.blocking(() -> {
            Caller caller = hub.caller(ctx);
            caller.require(Scope.WRITE);
            hub.access.visibleRepo(caller, repo);
            return caller;
        }).onFailure(e -> refuse(ctx, pipe, body, e)).onSuccess(caller -> {
            UploadSlots.Slot slot;
            try {
                slot = hub.uploadSlots.acquire(caller.name());
            } catch (ApiException busy) {
                refuse(ctx, pipe, body, busy);
                return;
            }
            if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) ctx.response().writeContinue();
            pipe.to(body).onFailure(body::fail); // a failed request (client gone) fails the reader
            IdleWatch idle = new IdleWatch(ctx, body, hub.config.uploadIdleTimeout());
            hub.uploads.executeBlocking(() -> {
                try (body) {
                    return hub.storage.blobs().put(body, limit, expected);
                }
            }, false).onComplete(done -> {
                idle.stop();
                slot.close();
            }).onSuccess(blob -> {
                hub.metrics.upload(HubMetrics.UploadResult.STORED, blob.size());
                Jsons.send(ctx, 201, new Uploaded(blob.digest(), blob.size()));
            }).onFailure(e -> {
                if (idle.timedOut()) {
                    // Storage has aborted the upload; the body is incomplete, so the connection cannot carry
                    // another request: answer, then cut it.
                    hub.metrics.upload(HubMetrics.UploadResult.TIMED_OUT, 0);
                    ctx.fail(new ApiException(408, "no bytes of the upload arrived for "
                            + hub.config.uploadIdleTimeout().toSeconds() + " s: the upload is aborted and nothing"
                            + " of it is stored"));
                    abandon(ctx);
                    return;
                }
                hub.metrics.upload(e instanceof StorageException.TooLarge ? HubMetrics.UploadResult.TOO_LARGE
                        : e instanceof StorageException.DigestMismatch ? HubMetrics.UploadResult.REJECTED
                        : HubMetrics.UploadResult.FAILED, 0);
                if (ctx.response().closed()) {
                    // The client went away; storage has aborted the upload. Nobody is left to answer.
                    LOG.log(System.Logger.Level.INFO, "upload to " + repo + " by " + caller.name()
                            + " aborted: " + Jsons.oneLine(e.getMessage()));
                } else {
                    ctx.fail(e);
                }
            });
        });
    }

    /**
     * The idle-body timeout of one upload: a timer on the request's event loop that fails the body once the client
     * has sent nothing for {@code timeout} while the hub waited for bytes. The storage upload reading the body then
     * fails and aborts, so nothing of it stays; the route answers 408.
     */
    private static final class IdleWatch {
        private final RoutingContext ctx;
        private final long timer;
        private boolean timedOut; // event loop only

        IdleWatch(RoutingContext ctx, BodyInputStream body, Duration timeout) {
            this.ctx = ctx;
            long limit = timeout.toNanos();
            long every = Math.clamp(timeout.toMillis() / 4, 10, 1_000);
            timer = ctx.vertx().setPeriodic(every, id -> {
                if (body.idleNanos(System.nanoTime()) < limit) return;
                ctx.vertx().cancelTimer(id);
                timedOut = true;
                body.fail(new IOException("no body bytes for " + timeout.toMillis() + " ms"));
            });
        }

        boolean timedOut() {
            return timedOut;
        }

        void stop() {
            ctx.vertx().cancelTimer(timer);
        }
    }

    /** Answers an upload that is not read: the body is dropped (up to a limit) so the client sees the answer. */
    private void refuse(RoutingContext ctx, Pipe<Buffer> pipe, BodyInputStream body, Throwable failure) {
        hub.metrics.upload(failure instanceof StorageException.TooLarge ? HubMetrics.UploadResult.TOO_LARGE
                : HubMetrics.UploadResult.REJECTED, 0);
        body.close();
        pipe.to(body);
        ctx.fail(failure);
    }

    /**
     * Stops reading a body nobody wants and cuts the connection a little after the answer is out: closing at once
     * while the client still sends would reset the connection before the client has read the answer.
     */
    private static void abandon(RoutingContext ctx) {
        ctx.request().pause();
        HttpServerResponse response = ctx.response();
        Runnable cut = () -> ctx.vertx().setTimer(ABANDON_GRACE_MILLIS, id -> ctx.request().connection().close());
        if (response.ended()) cut.run();
        else response.endHandler(v -> cut.run());
    }

    /** {@code X-Content-Sha256}: {@code sha256:<hex>} or bare hex; null when absent. */
    private static Digest expectedDigest(String header) {
        if (header == null || header.isBlank()) return null;
        String value = header.strip().toLowerCase(Locale.ROOT);
        return value.startsWith("sha256:") ? Digest.parse(value) : new Digest(value);
    }

    /** The declared body length, or -1 without one. */
    private static long declaredLength(String header) {
        if (header == null) return -1;
        try {
            return Long.parseLong(header.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("Content-Length '" + header + "' is not a number");
        }
    }

    // ---- commit ---------------------------------------------------------------------------------------------------

    private void commit(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String branch = ctx.pathParam("branch");
        CommitBody request = Jsons.read(ctx, CommitBody.class);
        SortedMap<String, Blob> put = new TreeMap<>();
        if (request.files() != null) {
            request.files().forEach((path, ref) -> {
                if (ref == null || ref.digest() == null || ref.size() == null) {
                    throw ApiException.badRequest("file '" + path + "' needs a digest and a size");
                }
                put.put(path, new Blob(ref.digest(), ref.size()));
            });
        }
        List<String> deletes = request.deletes() == null ? List.of() : request.deletes();
        Changes changes = Changes.of(put, new HashSet<>(deletes));
        if (changes.paths().isEmpty()) throw ApiException.badRequest("the commit changes no files");
        String message = request.message() == null ? "" : request.message();

        hub.json(ctx, 201, () -> {
            Caller caller = hub.caller(ctx);
            caller.require(Scope.WRITE);
            hub.access.visibleRepo(caller, repo);
            // A .gguf or .safetensors file must be one: pull clients, the quant table and conversions rely on it.
            for (Map.Entry<String, Blob> file : changes.put().entrySet()) {
                if (ModelCatalog.isGguf(file.getKey())) hub.catalog.gguf(file.getKey(), stored(file.getValue()));
                if (ModelCatalog.isSafetensors(file.getKey())) {
                    hub.catalog.safetensors(file.getKey(), stored(file.getValue()));
                }
            }
            Commit commit = hub.storage.repos().commit(
                    new CommitRequest(repo, branch, request.parent(), changes, caller.name(), message));
            return new Committed(commit.id(), commit.parent(), branch, caller.name(), message,
                    commit.manifest().time(), commit.files().size(), registerVariants(repo, commit, changes));
        });
    }

    /** The uploaded blob, checked against the size the commit states. */
    private Blob stored(Blob stated) {
        Blob stored = hub.storage.blobs().stat(stated.digest()).orElseThrow(() ->
                new StorageException.NotFound("blob " + stated.digest() + " is not uploaded"));
        if (stored.size() != stated.size()) {
            throw new IllegalArgumentException("blob " + stated.digest() + " has " + stored.size() + " bytes, not "
                    + stated.size());
        }
        return stored;
    }

    /**
     * Records every GGUF file the commit adds as an available variant of the repository's model: of its
     * safetensors source when the commit has one, else of the GGUF file itself.
     */
    private List<VariantRecord> registerVariants(RepoName repo, Commit commit, Changes changes) {
        ModelCatalog.ModelFacts facts = hub.catalog.facts(commit);
        List<VariantRecord> records = new ArrayList<>();
        for (ModelCatalog.GgufModel gguf : facts.ggufs()) {
            if (!changes.put().containsKey(gguf.path())) continue;
            Digest source = facts.sourceDigest().orElse(gguf.blob().digest());
            if (gguf.level() == null) {
                records.add(new VariantRecord(gguf.path(), null, source,
                        "neither general.file_type nor the tensor types name a quant level"));
                continue;
            }
            String quant = gguf.level().name();
            try {
                hub.storage.variants().registerVariant(new Variant.Key(source, quant, UPLOAD_VERSION), gguf.blob(),
                        gguf.bitsPerWeight(), new Variant.Provenance(repo, commit.id(), gguf.path(), UPLOAD_VERSION,
                                commit.manifest().time()));
                records.add(new VariantRecord(gguf.path(), quant, source, null));
            } catch (RuntimeException e) {
                // The commit stands; the table still shows the file as available. Say why it is not a variant.
                records.add(new VariantRecord(gguf.path(), quant, source, Jsons.oneLine(e.getMessage())));
            }
        }
        return records;
    }
}
