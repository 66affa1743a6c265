package io.quanthub.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quanthub.hub.api.ApiJson;
import io.quanthub.hub.api.RepoDetails;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Changes;
import io.quanthub.storage.Commit;
import io.quanthub.storage.Names;
import io.quanthub.storage.Ref;
import io.quanthub.storage.RepoName;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The Hugging Face Hub's read API and repository management, so that huggingface_hub ({@code HF_ENDPOINT}) and
 * @huggingface/hub ({@code hubUrl}) work against QuantHub unchanged: model info (with {@code siblings} and {@code
 * expand}), the tree listing (recursive, paginated by {@code Link}), paths-info, commits, refs, {@code whoami-v2},
 * and create/delete repository. The shapes are in {@link HfShapes}; uploads are {@link HfUploads}. Every route has
 * the checks of QuantHub's own (private repositories 404 to whoever may not read them, with the Hub's {@code
 * X-Error-Code}).
 */
final class HfRoutes {
    /** Items of one tree page at most (the Hub pages its tree by 1,000 too). */
    static final int MAX_TREE_PAGE = 1000;
    /** Paths one paths-info request may ask for. */
    static final int MAX_PATHS = 1000;
    static final int DEFAULT_COMMIT_PAGE = 50;
    static final String TREE = "/api/models/(?<org>[^/]+)/(?<name>[^/]+)/tree/(?<revision>[^/]+)(?:/(?<path>.+))?";
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.\\-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+](:[0-9]{1,5})?");

    private final Hub hub;
    private final RepoRoutes repos;
    private final UploadRoutes uploads;

    HfRoutes(Hub hub) {
        this.hub = hub;
        this.repos = new RepoRoutes(hub);
        this.uploads = new UploadRoutes(hub);
    }

    void mount(Router router, BodyHandler json) {
        router.get("/api/whoami-v2").handler(this::whoami);
        router.get("/api/models/:org/:name").handler(this::modelInfo);
        router.get("/api/models/:org/:name/revision/:revision").handler(this::modelInfo);
        router.getWithRegex(TREE).handler(this::tree);
        router.post("/api/models/:org/:name/paths-info/:revision").handler(json).handler(this::pathsInfo);
        router.get("/api/models/:org/:name/commits/:revision").handler(this::commits);
        router.get("/api/models/:org/:name/refs").handler(this::refs);
        router.post("/api/repos/create").handler(json).handler(this::createRepo);
        router.delete("/api/repos/delete").handler(json).handler(this::deleteRepo);
        router.post("/api/repos/move").handler(json).handler(this::moveRepo);
    }

    // ---- who ----------------------------------------------------------------------------------------------------

    private void whoami(RoutingContext ctx) {
        hub.json(ctx, 200, () -> {
            Caller caller = hub.caller(ctx);
            if (!caller.authenticated()) {
                throw new ApiException(401, "Invalid credentials in Authorization header (Authorization: Bearer hf_...)");
            }
            List<HfShapes.OrgInfo> orgs = new ArrayList<>();
            new TreeMap<>(caller.namespaces()).forEach((namespace, role) -> {
                if (!namespace.equals(caller.name())) {
                    orgs.add(new HfShapes.OrgInfo("org", namespace, namespace, namespace, role.name()
                            .toLowerCase(Locale.ROOT)));
                }
            });
            String role = caller.has(Scope.WRITE) ? "write" : "read";
            return new HfShapes.WhoAmI("user", caller.name(), caller.name(), caller.name(), false, false, false, orgs,
                    new HfShapes.AuthInfo("access_token", new HfShapes.AccessTokenInfo(caller.token(), role)));
        });
    }

    // ---- model info ---------------------------------------------------------------------------------------------

    /**
     * QuantHub's details of the revision with the Hub's model-info fields added ({@code _id}, {@code modelId},
     * {@code siblings} including produced quant variants, {@code createdAt}, {@code lastModified} in the Hub's
     * format, {@code downloads}, {@code likes}, {@code gated}, {@code disabled}). With {@code expand} (or {@code
     * expand[]}) only {@code _id}, {@code id} and the named fields, as on the Hub.
     */
    private void modelInfo(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String pathRevision = ctx.pathParam("revision");
        String revision = pathRevision != null ? pathRevision : Hub.revision(ctx);
        boolean defaultRevision = pathRevision == null ? ctx.queryParams().get("revision") == null
                : isDefault(pathRevision);
        List<String> expand = new ArrayList<>(ctx.queryParams().getAll("expand"));
        expand.addAll(ctx.queryParams().getAll("expand[]"));
        hub.json(ctx, 200, () -> {
            RepoDetails details = repos.details(hub.caller(ctx), repo, revision, defaultRevision);
            ObjectNode info = Jsons.tree(details);
            info.put("_id", details.id());
            info.put("modelId", details.id());
            info.put("createdAt", HfShapes.date(details.created()));
            if (details.lastModified() != null) info.put("lastModified", HfShapes.date(details.lastModified()));
            info.put("disabled", false);
            info.put("gated", false);
            info.put("downloads", 0);
            info.put("likes", 0);
            List<HfShapes.Sibling> siblings = new ArrayList<>();
            if (details.sha() != null) {
                Commit commit = hub.storage.repos().read(repo, details.sha());
                RevisionFiles.of(hub, repo, commit).forEach((path, blob) -> siblings.add(HfShapes.sibling(path, blob)));
            }
            info.set("siblings", Jsons.tree(new SiblingList(siblings)).get("siblings"));
            if (expand.isEmpty()) return info;
            ObjectNode only = info.objectNode();
            only.set("_id", info.get("_id"));
            only.set("id", info.get("id"));
            for (String field : expand) {
                if (info.has(field)) only.set(field, info.get(field));
            }
            return only;
        });
    }

    /** The revision clients ask for by default: {@code main}, or {@code HEAD} (huggingface.js's model info). */
    private static boolean isDefault(String revision) {
        return "HEAD".equals(revision) || Hub.DEFAULT_BRANCH.equals(revision);
    }

    private record SiblingList(List<HfShapes.Sibling> siblings) {}

    // ---- tree and paths-info ------------------------------------------------------------------------------------

    /**
     * The files and folders under a path: direct children, or with {@code recursive=true} everything below (folders
     * included), in path order, at most {@code limit} (1..1000) a page; the next page's address is in the {@code
     * Link} header ({@code rel="next"}, an opaque {@code cursor}).
     */
    private void tree(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = ctx.pathParam("revision");
        String path = ctx.pathParam("path");
        String folder = path == null || path.isEmpty() ? "" : Names.requireFilePath(path.replaceAll("/+$", ""));
        boolean recursive = flag(ctx.queryParams().get("recursive"));
        boolean expand = flag(ctx.queryParams().get("expand"));
        int limit = Hub.intParam(ctx, "limit", MAX_TREE_PAGE, MAX_TREE_PAGE);
        String after = cursor(ctx.queryParams().get("cursor"));
        String base = base(ctx);
        hub.blocking(() -> {
            hub.access.visibleRepo(hub.caller(ctx), repo);
            if (folder.isEmpty() && isDefault(revision) && hub.storage.refs().list(repo, Ref.Kind.BRANCH).isEmpty()) {
                return new Page<HfShapes.TreeEntry>(List.of(), null); // a new repository: nothing committed yet
            }
            Commit commit = RevisionFiles.resolve(hub, repo, revision);
            SortedMap<String, Blob> files = RevisionFiles.of(hub, repo, commit);
            String prefix = folder.isEmpty() ? "" : folder + "/";
            TreeMap<String, HfShapes.TreeEntry> entries = new TreeMap<>();
            for (Map.Entry<String, Blob> file : files.tailMap(prefix).entrySet()) {
                String filePath = file.getKey();
                if (!filePath.startsWith(prefix)) break;
                String relative = filePath.substring(prefix.length());
                int slash = relative.indexOf('/');
                if (!recursive && slash >= 0) {
                    String dir = prefix + relative.substring(0, slash);
                    entries.putIfAbsent(dir, HfShapes.directory(commit.id(), dir));
                    continue;
                }
                for (int i = slash; recursive && i >= 0; i = relative.indexOf('/', i + 1)) {
                    String dir = prefix + relative.substring(0, i);
                    entries.putIfAbsent(dir, HfShapes.directory(commit.id(), dir));
                }
                entries.put(filePath, HfShapes.file(filePath, file.getValue()));
            }
            if (!folder.isEmpty() && entries.isEmpty()) {
                throw ApiException.notFound("folder '" + folder + "' not found in " + repo + " at " + revision)
                        .withErrorCode("EntryNotFound");
            }
            List<HfShapes.TreeEntry> page = new ArrayList<>();
            HfShapes.LastCommit last = expand ? HfShapes.lastCommit(commit) : null;
            for (HfShapes.TreeEntry entry : (after == null ? entries : entries.tailMap(after, false)).values()) {
                if (page.size() == limit) break;
                page.add(expand ? entry.expanded(last) : entry);
            }
            String next = null;
            if (!page.isEmpty() && entries.lastKey().compareTo(page.getLast().path()) > 0) {
                next = base + ctx.request().path() + "?recursive=" + recursive + "&expand=" + expand + "&limit="
                        + limit + "&cursor="
                        + Base64.getUrlEncoder().withoutPadding().encodeToString(
                                page.getLast().path().getBytes(StandardCharsets.UTF_8));
            }
            return new Page<>(page, next);
        }).onFailure(ctx::fail).onSuccess(page -> page.send(ctx));
    }

    /** One page of a list, and the address of the next one (null: the last page). */
    record Page<T>(List<T> items, String next) {
        void send(RoutingContext ctx) {
            if (next != null) ctx.response().putHeader("Link", "<" + next + ">; rel=\"next\"");
            Jsons.send(ctx, 200, items);
        }
    }

    private static String cursor(String cursor) {
        if (cursor == null || cursor.isEmpty()) return null;
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("cursor '" + ApiJson.oneLine(cursor) + "' is not one this hub gave");
        }
    }

    /** The Hub's boolean query parameters: {@code true}, {@code True} (Python's requests), {@code 1}. */
    static boolean flag(String value) {
        return value != null && (value.equalsIgnoreCase("true") || value.equals("1"));
    }

    /**
     * {@code paths-info}: the files and folders among the given paths (missing ones are left out, as on the Hub).
     * huggingface.js sends {@code {"paths": [...]}} as JSON, huggingface_hub a form ({@code paths=a&paths=b}).
     */
    private void pathsInfo(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = ctx.pathParam("revision");
        Set<String> paths = new LinkedHashSet<>();
        boolean expand;
        String type = ctx.request().getHeader("Content-Type");
        if (type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            paths.addAll(ctx.request().formAttributes().getAll("paths"));
            expand = flag(ctx.request().formAttributes().get("expand"));
        } else {
            ObjectNode request = body(ctx);
            JsonNode list = request.get("paths");
            if (list == null || !list.isArray()) throw ApiException.badRequest("paths-info needs \"paths\": [...]");
            list.forEach(p -> paths.add(p.asText()));
            expand = request.path("expand").asBoolean(false);
        }
        if (paths.size() > MAX_PATHS) {
            throw ApiException.badRequest(paths.size() + " paths asked for; at most " + MAX_PATHS + " at a time");
        }
        for (String p : paths) Names.requireFilePath(p);
        hub.json(ctx, 200, () -> {
            hub.access.visibleRepo(hub.caller(ctx), repo);
            Commit commit = RevisionFiles.resolve(hub, repo, revision);
            SortedMap<String, Blob> files = RevisionFiles.of(hub, repo, commit);
            HfShapes.LastCommit last = expand ? HfShapes.lastCommit(commit) : null;
            List<HfShapes.TreeEntry> found = new ArrayList<>();
            for (String p : paths) {
                Blob blob = files.get(p);
                HfShapes.TreeEntry entry = null;
                if (blob != null) {
                    entry = HfShapes.file(p, blob);
                } else {
                    String under = files.tailMap(p + "/").keySet().stream().findFirst().orElse("");
                    if (under.startsWith(p + "/")) entry = HfShapes.directory(commit.id(), p);
                }
                if (entry != null) found.add(expand ? entry.expanded(last) : entry);
            }
            return found;
        });
    }

    // ---- history ------------------------------------------------------------------------------------------------

    /**
     * Commits from a revision back, newest first, {@code limit} a page (default 50); the next page starts at the
     * parent of the last one ({@code Link: <.../commits/{parent}?limit=N>; rel="next"}), so a page costs {@code
     * limit} commit reads however long the history is.
     */
    private void commits(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = ctx.pathParam("revision");
        int limit = Hub.intParam(ctx, "limit", DEFAULT_COMMIT_PAGE, RepoRoutes.MAX_LIMIT);
        String base = base(ctx);
        hub.blocking(() -> {
            hub.access.visibleRepo(hub.caller(ctx), repo);
            Commit head = RevisionFiles.resolve(hub, repo, revision);
            List<Commit> history = hub.storage.repos().history(repo, head.id(), limit);
            List<HfShapes.CommitItem> items = history.stream().map(c -> {
                HfShapes.LastCommit summary = HfShapes.lastCommit(c);
                return new HfShapes.CommitItem(c.id(), summary.title(),
                        c.manifest().message() == null ? "" : c.manifest().message(),
                        List.of(new HfShapes.CommitAuthor(c.manifest().author())), summary.date());
            }).toList();
            String parent = history.isEmpty() ? null : history.getLast().parent();
            String next = parent == null ? null
                    : base + "/api/models/" + repo + "/commits/" + parent + "?limit=" + limit;
            return new Page<>(items, next);
        }).onFailure(ctx::fail).onSuccess(page -> page.send(ctx));
    }

    private void refs(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        hub.json(ctx, 200, () -> {
            hub.access.visibleRepo(hub.caller(ctx), repo);
            List<HfShapes.RefItem> branches = new ArrayList<>();
            hub.storage.refs().list(repo, Ref.Kind.BRANCH).forEach((name, commit) ->
                    branches.add(new HfShapes.RefItem(name, "refs/heads/" + name, commit)));
            List<HfShapes.RefItem> tags = new ArrayList<>();
            hub.storage.refs().list(repo, Ref.Kind.TAG).forEach((name, commit) ->
                    tags.add(new HfShapes.RefItem(name, "refs/tags/" + name, commit)));
            return new HfShapes.Refs(branches, tags, List.of());
        });
    }

    // ---- repositories -------------------------------------------------------------------------------------------

    /**
     * {@code POST /api/repos/create} {@code {name, organization?, private? | visibility?, type?, files?}}: a model
     * repository in the caller's namespace (or the organisation's), with huggingface.js's optional first files
     * ({@code [{path, content (base64), encoding}]}) as its first commit.
     */
    private void createRepo(RoutingContext ctx) {
        ObjectNode request = body(ctx);
        requireModelType(request);
        String name = text(request, "name");
        if (name == null) throw ApiException.badRequest("repository name is missing (\"name\")");
        String organization = text(request, "organization");
        boolean isPrivate = request.path("private").asBoolean(false)
                || "private".equals(text(request, "visibility"));
        Map<String, byte[]> files = new TreeMap<>();
        request.path("files").forEach(file -> {
            String path = Names.requireFilePath(file.path("path").asText());
            files.put(path, content(file.path("content").asText(""), file.path("encoding").asText("utf-8"), path));
        });
        String base = base(ctx);
        hub.json(ctx, 200, () -> {
            Caller caller = hub.caller(ctx);
            caller.require(Scope.WRITE);
            RepoName repo = new RepoName(organization == null ? caller.name() : organization,
                    name.contains("/") ? RepoName.parse(name).name() : name);
            hub.access.createRepo(caller, repo, isPrivate);
            if (!files.isEmpty()) {
                SortedMap<String, Blob> put = new TreeMap<>();
                files.forEach((path, bytes) -> put.put(path, storeInline(repo, bytes)));
                uploads.commit(caller, repo, Hub.DEFAULT_BRANCH, null, Changes.of(put, Set.of()), "initial commit");
            }
            return new HfShapes.CreatedRepo(base + "/" + repo, repo.toString(), repo.toString());
        });
    }

    /** {@code DELETE /api/repos/delete} {@code {name, organization?, type?}}: see {@link Access#deleteRepo}. */
    private void deleteRepo(RoutingContext ctx) {
        ObjectNode request = body(ctx);
        requireModelType(request);
        String name = text(request, "name");
        if (name == null) throw ApiException.badRequest("repository name is missing (\"name\")");
        String organization = text(request, "organization");
        hub.json(ctx, 200, () -> {
            Caller caller = hub.caller(ctx);
            caller.require(Scope.WRITE);
            RepoName repo = new RepoName(organization == null ? caller.name() : organization, name);
            hub.access.deleteRepo(caller, repo);
            return Map.of("deleted", repo.toString());
        });
    }

    /**
     * {@code POST /api/repos/move} {@code {fromRepo, toRepo, type?}} (huggingface_hub's {@code move_repo}): see
     * {@link Access#moveRepo}. Every commit is rewritten under the new name, so commit ids change.
     */
    private void moveRepo(RoutingContext ctx) {
        ObjectNode request = body(ctx);
        requireModelType(request);
        RepoName from = RepoName.parse(required(request, "fromRepo"));
        RepoName to = RepoName.parse(required(request, "toRepo"));
        String base = base(ctx);
        hub.json(ctx, 200, () -> {
            hub.access.moveRepo(hub.caller(ctx), from, to);
            return new HfShapes.CreatedRepo(base + "/" + to, to.toString(), to.toString());
        });
    }

    private static String required(ObjectNode request, String field) {
        String value = text(request, field);
        if (value == null) throw ApiException.badRequest("\"" + field + "\" is missing");
        return value;
    }

    private static void requireModelType(ObjectNode request) {
        String type = text(request, "type");
        if (type != null && !type.equals("model")) {
            throw ApiException.badRequest("QuantHub hosts model repositories only, not '" + ApiJson.oneLine(type) + "'");
        }
    }

    // ---- shared -------------------------------------------------------------------------------------------------

    /** Stores bytes the request carried inline as a blob uploaded to {@code repo}. Blocks. */
    Blob storeInline(RepoName repo, byte[] bytes) {
        Blob blob = hub.storage.blobs().put(new ByteArrayInputStream(bytes), hub.config.maxUploadBytes());
        hub.storage.access().recordUpload(repo, blob.digest());
        return blob;
    }

    /** A file's content as sent inline: {@code base64} or text. */
    static byte[] content(String content, String encoding, String path) {
        if (encoding.equalsIgnoreCase("base64")) {
            try {
                return Base64.getMimeDecoder().decode(content);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("the content of '" + path + "' is not base64: " + e.getMessage());
            }
        }
        if (encoding.equalsIgnoreCase("utf-8") || encoding.equalsIgnoreCase("utf8")) {
            return content.getBytes(StandardCharsets.UTF_8);
        }
        throw ApiException.badRequest("unknown encoding '" + ApiJson.oneLine(encoding) + "' of '" + path
                + "' (base64 or utf-8)");
    }

    /**
     * The request body as a JSON object. The Hub's clients send fields QuantHub has no use for (licence, resource
     * group, space SDK), so unknown fields are ignored here, unlike QuantHub's own routes.
     */
    static ObjectNode body(RoutingContext ctx) {
        io.vertx.core.buffer.Buffer body = ctx.body().buffer();
        if (body == null || body.length() == 0) throw ApiException.badRequest("request body is empty (JSON expected)");
        try {
            JsonNode node = ApiJson.MAPPER.readTree(body.getBytes());
            if (node instanceof ObjectNode object) return object;
        } catch (IOException e) {
            throw ApiException.badRequest("invalid JSON body: " + ApiJson.oneLine(e.getMessage()));
        }
        throw ApiException.badRequest("request body must be a JSON object");
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /**
     * The address clients reached this hub at ({@code http://host:port}), for the absolute URLs the Hub's clients
     * expect (pagination links, repository and commit URLs, Git LFS actions): the request's {@code Host} when it is
     * a plain host name or address, else the address the hub listens on.
     */
    String base(RoutingContext ctx) {
        String host = ctx.request().getHeader("Host");
        if (host == null || !HOST.matcher(host).matches()) {
            String listen = hub.config.host().contains(":") ? "[" + hub.config.host() + "]" : hub.config.host();
            host = listen + ":" + ctx.request().localAddress().port();
        }
        String scheme = ctx.request().isSSL() ? "https" : "http";
        return scheme + "://" + host;
    }
}
