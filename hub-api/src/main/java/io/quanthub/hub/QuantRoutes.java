package io.quanthub.hub;

import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.hub.api.ApiError;
import io.quanthub.hub.api.HubJob;
import io.quanthub.hub.api.QuantTable;
import io.quanthub.hub.api.TextEncoder;
import io.quanthub.storage.Commit;
import io.quanthub.storage.RepoName;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code GET /api/models/{org}/{name}/quants[?revision=]}: the quant table of a revision (see {@link RevisionLevels});
 * {@code POST /api/models/{org}/{name}/quants/{QUANT}[?revision=]}: produce a missing level (see {@link Conversions}).
 *
 * <p>Producing a level needs no token: anyone who may see the repository may ask, as anyone may pull it. The work
 * is bounded, since each level of each source is made at most once, whoever asks and however often.
 */
final class QuantRoutes {
    private final Hub hub;

    QuantRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router) {
        router.get("/api/models/:org/:name/quants").handler(this::quants);
        router.post("/api/models/:org/:name/quants/:quant").handler(this::produce);
    }

    private void quants(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = Hub.revision(ctx);
        hub.json(ctx, 200, () -> {
            Caller caller = hub.caller(ctx);
            hub.access.visibleRepo(caller, repo);
            Commit commit = hub.storage.repos().resolve(repo, revision);
            ModelCatalog.ModelFacts facts = hub.catalog.facts(commit);
            List<TextEncoder> encoders = hub.textEncoders.of(caller, repo, commit, facts.architecture());
            List<QuantTable.Level> rows = RevisionLevels.rows(repo, commit, facts, hub.storage.variants(),
                    hub.qualities, ModelTextEncoders.totalBytes(encoders));
            ModelCatalog.SourceModel source = facts.source();
            return new QuantTable(repo.toString(), revision, commit.id(), facts.architecture(),
                    facts.parameters(),
                    source == null ? null : new QuantTable.Source(source.path(), source.blob().digest(),
                            source.blob().size(), source.dtype().name()),
                    RevisionLevels.defaultLevel(facts).map(QuantLevel::name).orElse(null), rows, encoders);
        });
    }

    /** 202 with the job (queued, running or failed), 200 with a done job when the level is already available. */
    private void produce(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = Hub.revision(ctx);
        QuantLevel level = level(ctx.pathParam("quant"));
        if (level == null) {
            List<String> valid = Arrays.stream(QuantLevel.values()).map(QuantLevel::name).toList();
            Jsons.send(ctx, 400, new ApiError("unknown quant level '" + ctx.pathParam("quant") + "'; valid levels: "
                    + String.join(", ", valid), valid));
            return;
        }
        hub.blocking(() -> {
            Caller caller = hub.caller(ctx);
            hub.access.visibleRepo(caller, repo);
            if (hub.conversions == null) {
                throw new ApiException(503, "this hub runs no converter-cluster member, so it cannot produce quant "
                        + "levels (quanthub serve runs one unless started with --no-cluster)");
            }
            Commit commit = hub.storage.repos().resolve(repo, revision);
            // The job may come from another repository with the same source, one the caller may not see.
            return hub.shown(caller, hub.conversions.request(repo, commit, level));
        }).onFailure(ctx::fail).onSuccess(requested -> {
            HubJob job = requested.withLinks();
            ctx.response().putHeader("Location", job.links().get("self"));
            Jsons.send(ctx, job.state() == HubJob.State.DONE ? 200 : 202, job);
        });
    }

    /** The level a path names (any case), or null. */
    private static QuantLevel level(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        for (QuantLevel level : QuantLevel.values()) {
            if (level.name().equals(upper)) return level;
        }
        return null;
    }
}
