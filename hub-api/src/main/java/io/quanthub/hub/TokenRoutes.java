package io.quanthub.hub;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** {@code POST /api/tokens} (admin): a new API token, shown once. */
final class TokenRoutes {
    record CreateToken(String name, List<String> scopes) {}

    record CreatedToken(String token, String name, List<String> scopes) {}

    private final Hub hub;

    TokenRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router, BodyHandler json) {
        router.post("/api/tokens").handler(json).handler(this::create);
    }

    private void create(RoutingContext ctx) {
        CreateToken request = Jsons.read(ctx, CreateToken.class);
        hub.json(ctx, 201, () -> {
            Caller caller = hub.caller(ctx);
            caller.require(Scope.ADMIN);
            if (request.scopes() == null) throw ApiException.badRequest("scopes are missing (read, write, admin)");
            Set<Scope> scopes = EnumSet.noneOf(Scope.class);
            for (String s : request.scopes()) scopes.add(Scope.parse(s));
            String secret = hub.access.create(request.name(), scopes, caller.name());
            return new CreatedToken(secret, request.name(), scopes.stream().map(Scope::id).toList());
        });
    }
}
