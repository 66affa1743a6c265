package io.quanthub.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quanthub.hub.api.ApiJson;
import io.quanthub.hub.api.Committed;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Changes;
import io.quanthub.storage.Digest;
import io.quanthub.storage.Names;
import io.quanthub.storage.Ref;
import io.quanthub.storage.RepoName;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Uploads as the Hugging Face Hub takes them, so that huggingface.js's {@code uploadFiles} and huggingface_hub's
 * {@code upload_folder}/{@code create_commit} work unchanged:
 *
 * <ol>
 *   <li>{@code POST /api/models/{repo}/preupload/{rev}} says how to send each file: {@code regular} (inline in the
 *       commit) for small text, {@code lfs} for the rest;</li>
 *   <li>{@code POST /{repo}.git/info/lfs/objects/batch} (Git LFS batch API, {@code basic} transfer) gives each LFS
 *       object not yet uploaded to this repository an upload address, signed for this repository, object, size and
 *       user for an hour (the clients send no token to it), and a {@code verify} address;</li>
 *   <li>{@code PUT} of the object to that address streams it into storage like {@code PUT .../uploads} (same limit,
 *       per-user slots, idle timeout), checked against its sha256;</li>
 *   <li>{@code POST /api/models/{repo}/commit/{rev}} takes the NDJSON commit ({@code header}, {@code file} with
 *       base64 content, {@code lfsFile}, {@code deletedFile}, {@code deletedFolder}) and commits with every check of
 *       {@link UploadRoutes#commit}, the Git LFS blob rule included.</li>
 * </ol>
 */
final class HfUploads {
    /** Files up to this size whose first bytes hold no NUL are sent inline ("regular"); the rest as LFS objects. */
    static final long REGULAR_MAX = 1 << 20;
    /** The largest NDJSON commit body (inline files are at most {@link #REGULAR_MAX} each). */
    static final int COMMIT_BODY_LIMIT = 32 << 20;
    static final int MAX_OPERATIONS = 10_000;
    /** How long a Git LFS upload address is valid. */
    static final long UPLOAD_LINK_SECONDS = 3600;
    static final String LFS = "/(?<org>[^/]+)/(?<name>[^/]+?)\\.git/info/lfs/objects";

    /**
     * Signs upload addresses. Per process: an address is valid on the hub that gave it (behind a load balancer,
     * the batch request and its uploads must reach the same hub) until it restarts.
     */
    private static final byte[] KEY = randomKey();

    private final Hub hub;
    private final HfRoutes routes;
    private final UploadRoutes uploads;

    HfUploads(Hub hub, HfRoutes routes) {
        this.hub = hub;
        this.routes = routes;
        this.uploads = new UploadRoutes(hub);
    }

    void mount(Router router, BodyHandler json) {
        router.post("/api/models/:org/:name/preupload/:revision").handler(json).handler(this::preupload);
        router.post("/api/models/:org/:name/commit/:revision")
                .handler(BodyHandler.create(false).setBodyLimit(COMMIT_BODY_LIMIT)).handler(this::commit);
        router.postWithRegex(LFS + "/batch").handler(json).handler(this::batch);
        router.postWithRegex(LFS + "/verify").handler(json).handler(this::verify);
        // No BodyHandler: the object streams to storage.
        router.putWithRegex(LFS + "/(?<oid>[0-9a-f]{64})").handler(this::receiveObject);
    }

    // ---- preupload ------------------------------------------------------------------------------------------------

    private void preupload(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        JsonNode files = HfRoutes.body(ctx).path("files");
        if (!files.isArray()) throw ApiException.badRequest("preupload needs \"files\": [{path, size, sample}]");
        if (files.size() > MAX_OPERATIONS) {
            throw ApiException.badRequest(files.size() + " files in one preupload; at most " + MAX_OPERATIONS);
        }
        List<HfShapes.UploadMode> modes = new ArrayList<>();
        for (JsonNode file : files) {
            String path = Names.requireFilePath(file.path("path").asText());
            long size = file.path("size").asLong(-1);
            byte[] sample = HfRoutes.content(file.path("sample").asText(""), "base64", path);
            boolean text = size >= 0 && size <= REGULAR_MAX && !containsNul(sample);
            modes.add(new HfShapes.UploadMode(path, text ? "regular" : "lfs", false));
        }
        hub.json(ctx, 200, () -> {
            hub.access.writableRepo(hub.caller(ctx), repo);
            return new HfShapes.Preupload(modes);
        });
    }

    private static boolean containsNul(byte[] sample) {
        for (byte b : sample) if (b == 0) return true;
        return false;
    }

    // ---- the NDJSON commit -------------------------------------------------------------------------------------------

    private record InlineFile(String path, byte[] content) {}

    private void commit(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String branch = ctx.pathParam("revision");
        if (HfRoutes.flag(ctx.queryParams().get("create_pr"))) {
            throw ApiException.badRequest("QuantHub has no pull requests: commit to a branch instead of create_pr");
        }
        Buffer body = ctx.body().buffer();
        if (body == null || body.length() == 0) throw ApiException.badRequest("the commit is empty (NDJSON expected)");
        String summary = null;
        String description = null;
        String parent = null;
        List<InlineFile> inline = new ArrayList<>();
        SortedMap<String, Blob> lfs = new TreeMap<>();
        Set<String> deletes = new HashSet<>();
        Set<String> deletedFolders = new HashSet<>();
        String[] lines = body.toString(StandardCharsets.UTF_8).split("\n");
        if (lines.length > MAX_OPERATIONS + 1) {
            throw ApiException.badRequest(lines.length + " lines in one commit; at most " + (MAX_OPERATIONS + 1));
        }
        for (String line : lines) {
            if (line.isBlank()) continue;
            JsonNode operation;
            try {
                operation = ApiJson.MAPPER.readTree(line);
            } catch (IOException e) {
                throw ApiException.badRequest("a commit line is not JSON: " + ApiJson.oneLine(e.getMessage()));
            }
            String key = HfRoutes.text(operation, "key");
            JsonNode value = operation.path("value");
            switch (key == null ? "" : key) {
                case "header" -> {
                    summary = HfRoutes.text(value, "summary");
                    description = HfRoutes.text(value, "description");
                    parent = HfRoutes.text(value, "parentCommit");
                }
                case "file" -> {
                    String path = Names.requireFilePath(value.path("path").asText());
                    inline.add(new InlineFile(path, HfRoutes.content(value.path("content").asText(""),
                            value.path("encoding").asText("utf-8"), path)));
                }
                case "lfsFile" -> {
                    String path = Names.requireFilePath(value.path("path").asText());
                    String algo = value.path("algo").asText("sha256");
                    if (!algo.equals("sha256")) throw ApiException.badRequest("lfsFile '" + path + "': algo must be sha256");
                    Digest oid = HfShapes.oid(HfRoutes.text(value, "oid"));
                    long size = value.path("size").asLong(-1);
                    if (size < 0) throw ApiException.badRequest("lfsFile '" + path + "' needs its size");
                    lfs.put(path, new Blob(oid, size));
                }
                case "deletedFile" -> deletes.add(Names.requireFilePath(value.path("path").asText()));
                case "deletedFolder" ->
                        deletedFolders.add(Names.requireFilePath(value.path("path").asText().replaceAll("/+$", "")));
                default -> throw ApiException.badRequest("unknown commit operation '" + ApiJson.oneLine(key)
                        + "' (header, file, lfsFile, deletedFile, deletedFolder)");
            }
        }
        if (parent != null) Names.requireCommitId(parent);
        String message = (summary == null || summary.isBlank() ? "Upload files with huggingface client" : summary)
                + (description == null || description.isBlank() ? "" : "\n\n" + description);
        String base = routes.base(ctx);
        String parentCommit = parent;
        hub.json(ctx, 200, () -> {
            Caller caller = hub.caller(ctx);
            hub.access.writableRepo(caller, repo);
            SortedMap<String, Blob> put = new TreeMap<>(lfs);
            for (InlineFile file : inline) put.put(file.path(), routes.storeInline(repo, file.content()));
            Set<String> deleted = new HashSet<>(deletes);
            if (!deletedFolders.isEmpty()) {
                String from = parentCommit != null ? parentCommit
                        : hub.storage.refs().resolve(Ref.branch(repo, branch)).orElse(null);
                if (from != null) {
                    for (String path : hub.storage.repos().read(repo, from).files().keySet()) {
                        for (String folder : deletedFolders) {
                            if (path.startsWith(folder + "/")) deleted.add(path);
                        }
                    }
                }
            }
            Changes changes = Changes.of(put, deleted);
            if (changes.paths().isEmpty()) throw ApiException.badRequest("the commit changes no files");
            Committed commit = uploads.commit(caller, repo, branch, parentCommit, changes, message);
            return new HfShapes.CommitDone(true, commit.id(), base + "/" + repo + "/commit/" + commit.id());
        });
    }

    // ---- Git LFS ------------------------------------------------------------------------------------------------

    /**
     * The batch API for uploads. An object gets no actions when it is stored and the caller may already commit it
     * here (uploaded to this repository, or held by one it can read: the rule of {@link
     * UploadRoutes#requireReferenceable}); otherwise an upload address, even when the hub has the bytes, so that
     * knowing a digest never stands in for sending the bytes.
     */
    private void batch(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        ObjectNode request = HfRoutes.body(ctx);
        String operation = HfRoutes.text(request, "operation");
        if (!"upload".equals(operation)) {
            throw ApiException.badRequest("this hub takes Git LFS uploads only (operation 'upload'); download files "
                    + "from /{org}/{name}/resolve/{revision}/{path}");
        }
        JsonNode objects = request.path("objects");
        if (!objects.isArray() || objects.size() > MAX_OPERATIONS) {
            throw ApiException.badRequest("a batch needs \"objects\": [{oid, size}], at most " + MAX_OPERATIONS);
        }
        String base = routes.base(ctx);
        hub.blocking(() -> {
            Caller caller = hub.caller(ctx);
            hub.access.writableRepo(caller, repo);
            long expires = System.currentTimeMillis() / 1000 + UPLOAD_LINK_SECONDS;
            List<HfShapes.LfsObject> answer = new ArrayList<>();
            for (JsonNode object : objects) {
                String oid = HfRoutes.text(object, "oid");
                long size = object.path("size").asLong(-1);
                if (oid == null || !oid.matches("[0-9a-f]{64}") || size < 0) {
                    answer.add(new HfShapes.LfsObject(oid, Math.max(size, 0), null, null,
                            new HfShapes.LfsError(422, "an object needs a sha256 oid (64 lower-case hex) and a size")));
                    continue;
                }
                if (size > hub.config.maxUploadBytes()) {
                    answer.add(new HfShapes.LfsObject(oid, size, null, null, new HfShapes.LfsError(413,
                            "the object has " + size + " bytes; this hub takes at most " + hub.config.maxUploadBytes())));
                    continue;
                }
                Digest digest = new Digest(oid);
                boolean present = hub.storage.blobs().stat(digest).filter(b -> b.size() == size).isPresent()
                        && uploads.referenceable(caller, repo, digest);
                if (present) {
                    answer.add(new HfShapes.LfsObject(oid, size, true, null, null));
                    continue;
                }
                String objectsUrl = base + "/" + DownloadRoutes.encode(repo.owner()) + "/" + DownloadRoutes.encode(repo.name())
                        + ".git/info/lfs/objects/";
                String signed = objectsUrl + oid + "?size=" + size + "&user=" + DownloadRoutes.encode(caller.name())
                        + "&expires=" + expires + "&sig=" + sign(repo, oid, size, caller.name(), expires);
                Map<String, HfShapes.LfsAction> actions = new LinkedHashMap<>();
                actions.put("upload", new HfShapes.LfsAction(signed, null, UPLOAD_LINK_SECONDS));
                actions.put("verify", new HfShapes.LfsAction(objectsUrl + "verify", null, UPLOAD_LINK_SECONDS));
                answer.add(new HfShapes.LfsObject(oid, size, true, actions, null));
            }
            return new HfShapes.LfsBatch("basic", answer, "sha256");
        }).onFailure(ctx::fail).onSuccess(batch -> ctx.response().setStatusCode(200)
                .putHeader("Content-Type", "application/vnd.git-lfs+json").end(Jsons.write(batch)));
    }

    /** {@code PUT} of an object to the address a batch gave: the signature stands for the user's write access. */
    private void receiveObject(RoutingContext ctx) {
        uploads.receive(ctx, () -> {
            RepoName repo = Hub.repo(ctx);
            String oid = ctx.pathParam("oid");
            String user = ctx.queryParams().get("user");
            long size = longParam(ctx, "size");
            long expires = longParam(ctx, "expires");
            String sig = ctx.queryParams().get("sig");
            if (user == null || sig == null || !MessageDigest.isEqual(
                    sign(repo, oid, size, user, expires).getBytes(StandardCharsets.US_ASCII),
                    sig.getBytes(StandardCharsets.US_ASCII))) {
                throw new ApiException(403, "this upload address is not one this hub signed (ask the batch API for one)");
            }
            if (System.currentTimeMillis() / 1000 > expires) {
                throw new ApiException(403, "this upload address expired; ask the batch API for a new one");
            }
            String length = ctx.request().getHeader("Content-Length");
            if (length != null && !length.strip().equals(Long.toString(size))) {
                throw ApiException.badRequest("the object has " + size + " bytes, the request " + length);
            }
            return new UploadRoutes.Target(repo, new Digest(oid));
        }, target -> {
            // The repository may have been deleted since the address was given.
            if (hub.access.repoInfo(target.repo()) == null) {
                throw ApiException.notFound("repository " + target.repo() + " not found");
            }
            return ctx.queryParams().get("user");
        }, (done, blob) -> done.response().setStatusCode(200).end());
    }

    /** {@code verify}: 200 when the object is stored with its size and was uploaded to this repository. */
    private void verify(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        ObjectNode request = HfRoutes.body(ctx);
        Digest oid = HfShapes.oid(HfRoutes.text(request, "oid"));
        long size = request.path("size").asLong(-1);
        hub.json(ctx, 200, () -> {
            hub.access.writableRepo(hub.caller(ctx), repo);
            boolean stored = hub.storage.blobs().stat(oid).filter(b -> b.size() == size).isPresent()
                    && hub.storage.access().uploadedTo(repo, oid);
            if (!stored) throw ApiException.notFound("object " + oid.hex() + " of " + size + " bytes is not uploaded to " + repo);
            return Map.of("oid", oid.hex(), "size", size);
        });
    }

    private static byte[] randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }

    private static long longParam(RoutingContext ctx, String name) {
        try {
            return Long.parseLong(ctx.queryParams().get(name));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("query parameter " + name + " must be a number");
        }
    }

    private static String sign(RepoName repo, String oid, long size, String user, long expires) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
            byte[] tag = mac.doFinal((repo + "\n" + oid + "\n" + size + "\n" + user + "\n" + expires)
                    .getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(tag);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
