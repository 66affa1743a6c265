package io.quanthub.hub;

import io.quanthub.hub.api.GcReport;
import io.quanthub.storage.GarbageCollector;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * {@code POST /api/admin/gc?dryRun=true&grace=24h} (admin): one garbage-collection run now, answered with its
 * report. {@code grace} defaults to the hub's {@code --gc-grace}; a dry run deletes nothing.
 */
final class GcRoutes {
    private final Hub hub;

    GcRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router) {
        router.post("/api/admin/gc").handler(this::collect);
    }

    private void collect(RoutingContext ctx) {
        hub.json(ctx, 200, () -> {
            hub.caller(ctx).require(Scope.ADMIN);
            String dryRunParam = ctx.queryParams().get("dryRun");
            if (dryRunParam != null && !dryRunParam.equals("true") && !dryRunParam.equals("false")) {
                throw ApiException.badRequest("dryRun must be true or false, not '" + dryRunParam + "'");
            }
            String graceParam = ctx.queryParams().get("grace");
            Duration grace;
            try {
                grace = graceParam == null ? hub.config.gcGrace() : Durations.parse("grace", graceParam);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(e.getMessage());
            }
            boolean dryRun = "true".equals(dryRunParam);
            return report(grace, GcScheduler.collect(hub.storage, hub.metrics, grace, dryRun));
        });
    }

    private static GcReport report(Duration grace, GarbageCollector.Report r) {
        return new GcReport(r.dryRun(), Durations.format(grace), r.deletedBlobs().size(), r.deletedBytes(),
                r.abortedUploads(), r.deletedStagedObjects(), r.deletedLeases(), r.reclaimedBytes(), r.complete());
    }
}
