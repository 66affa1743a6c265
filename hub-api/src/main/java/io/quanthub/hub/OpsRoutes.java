package io.quanthub.hub;

import io.quanthub.hub.api.ApiJson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quanthub.hub.api.HealthStatus;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /health} (the process answers), {@code GET /ready} (storage answers too), {@code GET /metrics}. Converter
 * members and inference nodes serve the same three ({@link io.quanthub.cluster.OpsServer}).
 */
final class OpsRoutes {
    private final Hub hub;
    private final PrometheusMeterRegistry registry;

    OpsRoutes(Hub hub, PrometheusMeterRegistry registry) {
        this.hub = hub;
        this.registry = registry;
    }

    void mount(Router router) {
        router.get("/health").handler(ctx -> Jsons.send(ctx, 200, new HealthStatus("ok")));
        router.get("/ready").handler(this::ready);
        // A scrape reads cluster-wide gauges (the jobs map): on a worker thread, never on the event loop.
        router.get("/metrics").handler(ctx -> hub.blocking(registry::scrape)
                .onSuccess(text -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(text))
                .onFailure(ctx::fail));
    }

    private void ready(RoutingContext ctx) {
        hub.blocking(() -> {
            hub.storage.ping();
            return null;
        }).onSuccess(ok -> Jsons.send(ctx, 200, new HealthStatus("ready")))
                .onFailure(e -> Jsons.sendError(ctx, 503, "storage is not reachable: "
                        + ApiJson.oneLine(e.getMessage())));
    }
}
