package io.quanthub.hub;

import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.hub.api.CommitEntry;
import io.quanthub.hub.api.CreateRepo;
import io.quanthub.hub.api.RepoDetails;
import io.quanthub.hub.api.RepoFile;
import io.quanthub.hub.api.RepoSummary;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Commit;
import io.quanthub.storage.Ref;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.RepoStore;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Repositories: {@code POST /api/repos} (write), {@code GET /api/models} (search), {@code GET
 * /api/models/{org}/{name}} (details of a revision) and {@code GET /api/models/{org}/{name}/commits} (history).
 * Private repositories are left out of lists and answer 404 unless the caller may read them.
 */
final class RepoRoutes {
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 1000;

    private final Hub hub;

    RepoRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router, BodyHandler json) {
        router.post("/api/repos").handler(json).handler(this::create);
        router.get("/api/models").handler(this::list);
        router.get("/api/models/:org/:name/commits").handler(this::history);
    }

    private void create(RoutingContext ctx) {
        CreateRepo request = Jsons.read(ctx, CreateRepo.class);
        if (request.name() == null) throw ApiException.badRequest("repository name is missing");
        RepoName repo = RepoName.parse(request.name());
        boolean isPrivate = Boolean.TRUE.equals(request.isPrivate());
        hub.json(ctx, 201, () -> summary(hub.access.createRepo(hub.caller(ctx), repo, isPrivate)));
    }

    private void list(RoutingContext ctx) {
        String search = ctx.queryParams().get("search");
        String architecture = ctx.queryParams().get("architecture");
        String quantParam = ctx.queryParams().get("quant");
        QuantLevel quant = quantParam == null || quantParam.isEmpty() ? null : parseLevel(quantParam);
        int limit = Hub.intParam(ctx, "limit", DEFAULT_LIMIT, MAX_LIMIT);
        hub.json(ctx, 200, () -> {
            Caller caller = hub.caller(ctx);
            List<RepoSummary> result = new ArrayList<>();
            for (RepoName repo : hub.storage.repos().list()) {
                if (result.size() == limit) break;
                if (search != null && !repo.toString().toLowerCase(Locale.ROOT)
                        .contains(search.toLowerCase(Locale.ROOT))) {
                    continue;
                }
                RepoStore.RepoInfo info = hub.access.repoInfo(repo);
                if (info == null || !caller.canSee(info)) continue;
                RepoSummary summary = summary(info);
                if (architecture != null && !architecture.isEmpty()
                        && !architecture.equalsIgnoreCase(summary.architecture())) {
                    continue;
                }
                if (quant != null && !summary.quants().contains(quant.name())) continue;
                result.add(summary);
            }
            return result;
        });
    }

    private static QuantLevel parseLevel(String name) {
        try {
            return QuantLevel.parse(name);
        } catch (RuntimeException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** The summary of a repository at the head of {@code main}. */
    private RepoSummary summary(RepoStore.RepoInfo info) {
        RepoName repo = info.name();
        String head = hub.storage.refs().resolve(Ref.branch(repo, Hub.DEFAULT_BRANCH)).orElse(null);
        if (head == null) {
            return new RepoSummary(repo.toString(), info.isPrivate(), info.createdBy(), info.created(), null, null,
                    null, null, null, List.of());
        }
        Commit commit = hub.storage.repos().read(repo, head);
        ModelCatalog.ModelFacts facts = hub.catalog.facts(commit);
        long size = commit.files().values().stream().mapToLong(Blob::size).sum();
        return new RepoSummary(repo.toString(), info.isPrivate(), info.createdBy(), info.created(), commit.id(),
                commit.manifest().time(), size, facts.architecture(), facts.parameters(), levelNames(facts));
    }

    private List<String> levelNames(ModelCatalog.ModelFacts facts) {
        return RevisionLevels.availableLevels(facts, hub.storage.variants()).stream().map(Enum::name).toList();
    }

    /**
     * The details of a repository at a revision ({@code GET /api/models/{org}/{name}}, answered by {@link HfRoutes}
     * together with the Hugging Face model-info fields). A repository without commits has empty details at its
     * default revision. Blocks.
     */
    RepoDetails details(Caller caller, RepoName repo, String revision, boolean defaultRevision) {
        RepoStore.RepoInfo info = hub.access.visibleRepo(caller, repo);
        Map<String, String> branches = hub.storage.refs().list(repo, Ref.Kind.BRANCH);
        Map<String, String> tags = hub.storage.refs().list(repo, Ref.Kind.TAG);
        if (defaultRevision && branches.isEmpty()) { // a new repository: nothing committed yet
            return new RepoDetails(repo.toString(), info.isPrivate(), info.createdBy(), info.created(), revision,
                    null, null, null, null, branches, tags, List.of(), null, null, List.of(), List.of(), List.of());
        }
        Commit commit = RevisionFiles.resolve(hub, repo, revision);
        ModelCatalog.ModelFacts facts = hub.catalog.facts(commit);
        List<RepoFile> files = commit.files().entrySet().stream()
                .map(e -> new RepoFile(e.getKey(), e.getValue().size(), e.getValue().digest())).toList();
        return new RepoDetails(repo.toString(), info.isPrivate(), info.createdBy(), info.created(), revision,
                commit.id(), commit.manifest().time(), commit.manifest().author(), commit.manifest().message(),
                branches, tags, files, facts.architecture(), facts.parameters(),
                facts.ggufs().stream().map(ModelCatalog.GgufModel::path).toList(), levelNames(facts),
                hub.textEncoders.of(caller, repo, commit, facts.architecture()));
    }

    private void history(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = Hub.revision(ctx);
        int limit = Hub.intParam(ctx, "limit", DEFAULT_LIMIT, MAX_LIMIT);
        hub.json(ctx, 200, () -> {
            hub.access.visibleRepo(hub.caller(ctx), repo);
            Commit head = hub.storage.repos().resolve(repo, revision);
            return hub.storage.repos().history(repo, head.id(), limit).stream()
                    .map(c -> new CommitEntry(c.id(), c.parent(), c.manifest().author(), c.manifest().message(),
                            c.manifest().time(), c.files().size()))
                    .toList();
        });
    }
}
