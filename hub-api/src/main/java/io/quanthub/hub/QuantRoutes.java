package io.quanthub.hub;

import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.storage.Commit;
import io.quanthub.storage.RepoName;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** {@code GET /api/models/{org}/{name}/quants[?revision=]}: the quant table of a revision (see {@link QuantTable}). */
final class QuantRoutes {
    private final Hub hub;

    QuantRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router) {
        router.get("/api/models/:org/:name/quants").handler(this::quants);
    }

    private void quants(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = Hub.revision(ctx);
        hub.json(ctx, 200, () -> {
            hub.access.visibleRepo(hub.caller(ctx), repo);
            Commit commit = hub.storage.repos().resolve(repo, revision);
            ModelCatalog.ModelFacts facts = hub.catalog.facts(commit);
            List<QuantTable.Row> rows = QuantTable.rows(facts, hub.storage.variants());
            ModelCatalog.SourceModel source = facts.source();
            return new QuantTable.Response(repo.toString(), revision, commit.id(), facts.architecture(),
                    facts.parameters(),
                    source == null ? null : new QuantTable.Source(source.path(), source.blob().digest(),
                            source.blob().size()),
                    QuantTable.defaultLevel(rows).map(QuantLevel::name).orElse(null), rows);
        });
    }
}
