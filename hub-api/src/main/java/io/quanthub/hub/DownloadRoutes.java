package io.quanthub.hub;

import io.quanthub.hub.api.ApiJson;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Commit;
import io.quanthub.storage.Names;
import io.quanthub.storage.RepoName;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.streams.Pipe;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * {@code GET}/{@code HEAD /{org}/{name}/resolve/{revision}/{path}}: a file of a revision, as the Hugging Face Hub
 * serves it: {@code ETag} = the file's sha256 (its identity, so a client can verify and cache), {@code X-Repo-Commit}
 * (what the revision resolved to), {@code X-Linked-Size}, and single byte ranges ({@code 206}, {@code 416}) for
 * resumed and partial downloads, with {@code If-Range}, {@code If-Match} and {@code If-None-Match}
 * ({@link Preconditions}). The bytes stream from storage with backpressure. Besides the commit's files it
 * serves the quant variants produced from the commit's model under the names the quant table gives them.
 */
final class DownloadRoutes {
    /** The path may hold slashes; Vert.x decodes the named groups. */
    static final String RESOLVE = "/(?<org>[^/]+)/(?<name>[^/]+)/resolve/(?<revision>[^/]+)/(?<path>.+)";
    /**
     * Hugging Face's {@code raw} address of a file (huggingface.js's {@code fileExists} asks it with HEAD). QuantHub
     * keeps every file as a content-addressed blob, so it answers exactly as {@code resolve}.
     */
    static final String RAW = "/(?<org>[^/]+)/(?<name>[^/]+)/raw/(?<revision>[^/]+)/(?<path>.+)";

    private record Resolved(String commit, Blob blob) {}

    private final Hub hub;

    DownloadRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router) {
        router.getWithRegex(RESOLVE).handler(this::resolve);
        router.headWithRegex(RESOLVE).handler(this::resolve);
        router.getWithRegex(RAW).handler(this::resolve);
        router.headWithRegex(RAW).handler(this::resolve);
    }

    private void resolve(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = ctx.pathParam("revision");
        String path = Names.requireFilePath(ctx.pathParam("path"));
        hub.blocking(() -> {
            hub.access.visibleRepo(hub.caller(ctx), repo);
            Commit commit = RevisionFiles.resolve(hub, repo, revision);
            return new Resolved(commit.id(), RevisionFiles.file(hub, repo, commit, revision, path));
        }).onFailure(ctx::fail).onSuccess(resolved -> send(ctx, path, resolved));
    }

    private void send(RoutingContext ctx, String path, Resolved resolved) {
        Blob blob = resolved.blob();
        long size = blob.size();
        String etag = "\"" + blob.digest().hex() + "\"";
        HttpServerResponse response = ctx.response()
                .putHeader("ETag", etag)
                .putHeader("X-Repo-Commit", resolved.commit())
                .putHeader("X-Linked-Size", Long.toString(size))
                .putHeader("X-Linked-Etag", etag)
                .putHeader("Accept-Ranges", "bytes")
                .putHeader("Cache-Control", "private, max-age=0, must-revalidate")
                .putHeader("Content-Type", "application/octet-stream")
                .putHeader("Content-Disposition", contentDisposition(path));
        String ifMatch = ctx.request().getHeader("If-Match");
        if (!Preconditions.ifMatch(ifMatch, etag)) {
            Jsons.sendError(ctx, 412, "If-Match " + ApiJson.oneLine(ifMatch) + " does not match " + path
                    + ", whose ETag is now " + etag);
            return;
        }
        if (Preconditions.ifNoneMatchHits(ctx.request().getHeader("If-None-Match"), etag)) {
            response.setStatusCode(304).end();
            return;
        }
        // A Range under a stale If-Range validator is ignored: the whole current file, never a piece of it.
        String rangeHeader = Preconditions.rangeApplies(ctx.request().getHeader("If-Range"), etag)
                ? ctx.request().getHeader("Range") : null;
        Optional<ByteRange> range;
        try {
            range = ByteRange.parse(rangeHeader, size);
        } catch (ByteRange.Unsatisfiable e) {
            response.putHeader("Content-Range", "bytes */" + size);
            Jsons.sendError(ctx, 416, "range " + ctx.request().getHeader("Range")
                    + " is not satisfiable for a file of " + size + " bytes");
            return;
        }
        long first = range.map(ByteRange::first).orElse(0L);
        long length = range.map(ByteRange::length).orElse(size);
        range.ifPresent(r -> response.setStatusCode(206).putHeader("Content-Range", r.contentRange(size)));
        response.putHeader("Content-Length", Long.toString(length));
        if (ctx.request().method() == HttpMethod.HEAD || length == 0) {
            response.end();
            return;
        }
        InputStreamReadStream stream = new InputStreamReadStream(ctx.vertx().getOrCreateContext(),
                () -> hub.storage.blobs().open(blob.digest(), first, length), hub.metrics::served);
        // A client that goes away must not leave the storage stream open.
        response.closeHandler(v -> stream.cancel());
        Pipe<Buffer> pipe = stream.pipe();
        pipe.endOnFailure(false); // ending would look like a complete (short) file: cut the connection instead
        pipe.to(response).onFailure(e -> {
            stream.cancel();
            if (!response.closed()) ctx.request().connection().close();
        });
    }

    /** The path of a file's download, each part percent-encoded. */
    static String url(RepoName repo, String revision, String path) {
        StringBuilder url = new StringBuilder("/").append(encode(repo.owner())).append('/').append(encode(repo.name()))
                .append("/resolve/").append(encode(revision));
        for (String segment : path.split("/")) url.append('/').append(encode(segment));
        return url.toString();
    }

    /** One path segment, percent-encoded for a URL. */
    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** {@code attachment} with the file's base name, in the RFC 6266 form every browser reads. */
    private static String contentDisposition(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        String ascii = name.replaceAll("[^A-Za-z0-9._-]", "_");
        String encoded = URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }
}
