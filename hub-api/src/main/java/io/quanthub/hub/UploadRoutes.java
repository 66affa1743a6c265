package io.quanthub.hub;

import io.quanthub.hub.api.ApiJson;
import io.quanthub.hub.api.CommitBody;
import io.quanthub.hub.api.Committed;
import io.quanthub.hub.api.Uploaded;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Changes;
import io.quanthub.storage.Commit;
import io.quanthub.storage.CommitRequest;
import io.quanthub.storage.Digest;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.RepoStore;
import io.quanthub.storage.StorageException;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Writing to a repository: {@code PUT /api/models/{org}/{name}/uploads} streams one file into content-addressed
 * storage (at most {@link HubConfig#maxUploadsPerUser()} at a time per caller, 429 above; 408 when the client sends
 * nothing for {@link HubConfig#uploadIdleTimeout()}); {@code POST /api/models/{org}/{name}/commits/{branch}} makes
 * uploaded files (and deletions) a commit, on the conditions of {@link #requireReferenceable} (a GGUF file it adds
 * becomes a "pushed" level of this repository's quant table, never a variant shared with other repositories).
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
        receive(ctx, () -> new Target(Hub.repo(ctx), expectedDigest(ctx.request().getHeader("X-Content-Sha256"))),
                target -> {
                    Caller caller = hub.caller(ctx);
                    hub.access.writableRepo(caller, target.repo());
                    return caller.name();
                }, (done, blob) -> Jsons.send(done, 201, new Uploaded(blob.digest(), blob.size())));
    }

    /** Where an upload goes: the repository it is uploaded to, and the sha256 it must have (null: any). */
    record Target(RepoName repo, Digest expected) {}

    /**
     * Streams a request body into storage as a blob uploaded to a repository (so its writers may commit it: the Git
     * LFS rule of {@link #requireReferenceable}), within the upload limit, the caller's share of the upload slots and
     * the idle timeout; every refusal drains the body so that the client reads the answer.
     *
     * @param target    reads the request's parameters on the event loop (throws for bad ones)
     * @param authorize runs on a worker: the user the upload counts against, or throws the refusal
     * @param stored    answers the request once the blob is stored, on the event loop
     */
    void receive(RoutingContext ctx, Supplier<Target> target, Function<Target, String> authorize,
                 BiConsumer<RoutingContext, Blob> stored) {
        HttpServerRequest request = ctx.request();
        // First, before any asynchronous step: pause the body, or the bytes that arrive meanwhile are lost.
        Pipe<Buffer> pipe = request.pipe();
        pipe.endOnFailure(false);
        Context context = ctx.vertx().getOrCreateContext();
        BodyInputStream body = new BodyInputStream(context, HIGH_WATER, DISCARD_LIMIT, () -> abandon(ctx));
        Target where;
        long limit = hub.config.maxUploadBytes();
        try {
            where = target.get();
            long declared = declaredLength(request.getHeader("Content-Length"));
            if (declared > limit) {
                throw new StorageException.TooLarge(limit);
            }
        } catch (RuntimeException e) {
            refuse(ctx, pipe, body, e);
            return;
        }
        RepoName repo = where.repo();
        Digest expected = where.expected();
        hub.blocking(() -> authorize.apply(where)).onFailure(e -> refuse(ctx, pipe, body, e)).onSuccess(user -> {
            UploadSlots.Slot slot;
            try {
                slot = hub.uploadSlots.acquire(user);
            } catch (ApiException busy) {
                refuse(ctx, pipe, body, busy);
                return;
            }
            if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) ctx.response().writeContinue();
            pipe.to(body).onFailure(body::fail); // a failed request (client gone) fails the reader
            IdleWatch idle = new IdleWatch(ctx, body, hub.config.uploadIdleTimeout());
            hub.uploads.executeBlocking(() -> {
                try (body) {
                    Blob blob = hub.storage.blobs().put(body, limit, expected);
                    // Every byte came through this repository: its writers may commit the blob (BlobAccess).
                    hub.storage.access().recordUpload(repo, blob.digest());
                    return blob;
                }
            }, false).onComplete(done -> {
                idle.stop();
                slot.close();
            }).onSuccess(blob -> {
                hub.metrics.upload(HubMetrics.UploadResult.STORED, blob.size());
                stored.accept(ctx, blob);
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
                    LOG.log(System.Logger.Level.INFO, "upload to " + repo + " by " + user
                            + " aborted: " + ApiJson.oneLine(e.getMessage()));
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

        hub.json(ctx, 201, () -> commit(hub.caller(ctx), repo, branch, request.parent(), changes, message));
    }

    /**
     * Commits {@code changes} on {@code branch} for a caller who may write to the repository, with every check a
     * commit gets: the Git LFS rule for each blob it names ({@link #requireReferenceable}) and valid GGUF and
     * safetensors files. Blocks.
     */
    Committed commit(Caller caller, RepoName repo, String branch, String parent, Changes changes, String message) {
        hub.access.writableRepo(caller, repo);
        for (Blob blob : changes.put().values()) requireReferenceable(caller, repo, blob.digest());
        // A .gguf or .safetensors file must be one: pull clients, the quant table and conversions rely on it.
        for (Map.Entry<String, Blob> file : changes.put().entrySet()) {
            if (ModelCatalog.isGguf(file.getKey())) hub.catalog.gguf(file.getKey(), stored(file.getValue()));
            if (ModelCatalog.isSafetensors(file.getKey())) {
                hub.catalog.safetensors(file.getKey(), stored(file.getValue()));
            }
            if (file.getKey().equals(ModelTextEncoders.FILE)) {
                hub.textEncoders.requireValid(stored(file.getValue()));
            }
        }
        Commit commit = hub.storage.repos().commit(
                new CommitRequest(repo, branch, parent, changes, caller.name(), message));
        return new Committed(commit.id(), commit.parent(), branch, caller.name(), message,
                commit.manifest().time(), commit.files().size(), pushedQuants(commit, changes));
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
     * Git LFS's rule: a commit may reference a blob only if it was uploaded to this repository, or if the caller can
     * already read a repository whose history holds it. Knowing a digest (from a job id, a quant table, a file
     * listing) is not enough: otherwise anyone could commit a private blob's digest to a repository of their own
     * and download the private bytes. The answer is the same 404 as for a blob that does not exist, so it does not
     * say whether one does.
     */
    private void requireReferenceable(Caller caller, RepoName repo, Digest digest) {
        if (referenceable(caller, repo, digest)) return;
        throw new StorageException.NotFound("blob " + digest + " is not uploaded to " + repo
                + " (upload the file to this repository first)");
    }

    /** Whether a commit of the caller to {@code repo} may reference the blob ({@link #requireReferenceable}). */
    boolean referenceable(Caller caller, RepoName repo, Digest digest) {
        if (hub.storage.access().uploadedTo(repo, digest)) return true;
        for (RepoName holder : hub.storage.access().holders(digest)) {
            RepoStore.RepoInfo info = hub.access.repoInfo(holder);
            if (info != null && caller.canSee(info)) return true;
        }
        return false;
    }

    /** The GGUF files the commit adds, with their levels. */
    private List<Committed.PushedQuant> pushedQuants(Commit commit, Changes changes) {
        List<Committed.PushedQuant> pushed = new ArrayList<>();
        for (ModelCatalog.GgufModel gguf : hub.catalog.facts(commit).ggufs()) {
            if (!changes.put().containsKey(gguf.path())) continue;
            pushed.add(gguf.level() == null
                    ? new Committed.PushedQuant(gguf.path(), null, "neither general.file_type nor the tensor types "
                            + "name a quant level")
                    : new Committed.PushedQuant(gguf.path(), gguf.level().name(), null));
        }
        return pushed;
    }
}
