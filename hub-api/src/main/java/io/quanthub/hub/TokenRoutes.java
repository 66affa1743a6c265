package io.quanthub.hub;

import io.quanthub.hub.api.CreateToken;
import io.quanthub.hub.api.CreatedToken;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.EnumSet;
import java.util.Set;

/**
 * API tokens, each of one user: {@code POST /api/tokens} (write; for another user: admin) makes one and shows its
 * secret once, {@code GET /api/tokens} lists the caller's tokens (never a secret), {@code DELETE
 * /api/tokens/{id or name}} (write) revokes one. {@code ?user=NAME} acts on another user's tokens (admin).
 */
final class TokenRoutes {
    private final Hub hub;

    TokenRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router, BodyHandler json) {
        router.post("/api/tokens").handler(json).handler(this::create);
        router.get("/api/tokens").handler(this::list);
        router.delete("/api/tokens/:token").handler(this::revoke);
    }

    private void create(RoutingContext ctx) {
        CreateToken request = Jsons.read(ctx, CreateToken.class);
        hub.json(ctx, 201, () -> {
            Caller caller = hub.caller(ctx);
            caller.require(Scope.WRITE);
            if (request.scopes() == null) throw ApiException.badRequest("scopes are missing (read, write, admin)");
            Set<Scope> scopes = EnumSet.noneOf(Scope.class);
            for (String s : request.scopes()) scopes.add(Scope.parse(s));
            Access.NewToken made = hub.access.create(caller, request.name(), scopes, request.user());
            return CreatedToken.of(made.secret(), made.summary());
        });
    }

    private void list(RoutingContext ctx) {
        hub.json(ctx, 200, () -> hub.access.tokens(hub.caller(ctx), user(ctx)));
    }

    private void revoke(RoutingContext ctx) {
        hub.json(ctx, 200, () -> hub.access.revoke(hub.caller(ctx), ctx.pathParam("token"), user(ctx)));
    }

    /** The {@code user} query parameter, or null. */
    private static String user(RoutingContext ctx) {
        String user = ctx.queryParams().get("user");
        return user == null || user.isEmpty() ? null : user;
    }
}
