package io.quanthub.hub;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP server on its own event loop: the API's route groups, then the web catalog's static files. Several
 * instances share the port. Stopping it ends the job event streams, stops accepting connections and lets requests
 * in flight finish, up to {@link HubConfig#shutdownTimeout()}.
 */
final class HttpVerticle extends VerticleBase {
    private final Hub hub;
    private final PrometheusMeterRegistry registry;
    private final int port;
    private HttpServer server;
    private JobRoutes jobs;

    HttpVerticle(Hub hub, PrometheusMeterRegistry registry, int port) {
        this.hub = hub;
        this.registry = registry;
        this.port = port;
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        // Only small JSON routes buffer their body; uploads stream.
        BodyHandler json = BodyHandler.create(false).setBodyLimit(hub.config.maxJsonBytes());
        new OpsRoutes(hub, registry).mount(router);
        new TokenRoutes(hub).mount(router, json);
        new AccountRoutes(hub).mount(router, json);
        new GcRoutes(hub).mount(router);
        new NodeRoutes(hub).mount(router);
        HfRoutes huggingFace = new HfRoutes(hub); // before RepoRoutes: it answers GET /api/models/{org}/{name}
        huggingFace.mount(router, json);
        new HfUploads(hub, huggingFace).mount(router, json);
        new RepoRoutes(hub).mount(router, json);
        new UploadRoutes(hub).mount(router, json);
        new QuantRoutes(hub).mount(router);
        new PreviewRoutes(hub).mount(router, json);
        jobs = new JobRoutes(hub);
        jobs.mount(router);
        new GgufRoutes(hub).mount(router);
        new DownloadRoutes(hub).mount(router);
        // The catalog's HTML, scripts and styles change with every hub version, under the same names. Vert.x
        // would mark them "public, immutable, max-age=86400", hiding an upgrade behind a day-old script; "no-cache"
        // lets browsers keep them but revalidate before each use (If-Modified-Since, answered 304 when unchanged).
        router.route("/*")
                .handler(ctx -> {
                    ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
                    ctx.next();
                })
                .handler(StaticHandler.create("webroot").setIncludeHidden(false));
        router.route().failureHandler(Failures::handle);
        router.errorHandler(404, Failures::handle);
        router.errorHandler(405, Failures::handle);

        HttpServerOptions options = new HttpServerOptions()
                .setHost(hub.config.host())
                .setPort(port)
                .setIdleTimeout(300)
                .setIdleTimeoutUnit(TimeUnit.SECONDS);
        server = vertx.createHttpServer(options).requestHandler(router);
        return server.listen();
    }

    @Override
    public Future<?> stop() {
        jobs.endStreams(); // an event stream lasts as long as its job: it would hold the shutdown to its timeout
        return server.shutdown(hub.config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The port this server listens on (the chosen one when configured as 0). */
    int actualPort() {
        return server.actualPort();
    }
}
