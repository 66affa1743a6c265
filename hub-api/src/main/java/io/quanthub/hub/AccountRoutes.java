package io.quanthub.hub;

import io.quanthub.hub.api.CreateOrg;
import io.quanthub.hub.api.CreateUser;
import io.quanthub.hub.api.DeletedOrg;
import io.quanthub.hub.api.DeletedUser;
import io.quanthub.hub.api.Membership;
import io.quanthub.hub.api.Org;
import io.quanthub.hub.api.RemovedMember;
import io.quanthub.hub.api.SetMember;
import io.quanthub.hub.api.User;
import io.quanthub.hub.api.WhoAmI;
import io.quanthub.storage.AccountStore;
import io.quanthub.storage.Names;
import io.quanthub.storage.TokenStore;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Map;
import java.util.TreeMap;

/**
 * Who is who: {@code GET /api/whoami} (any token), and for hub administrators users ({@code POST, GET /api/users},
 * {@code DELETE /api/users/{user}}), organisations ({@code POST, GET /api/orgs}, {@code DELETE /api/orgs/{org}})
 * and memberships ({@code PUT, DELETE /api/orgs/{org}/members/{user}}). Every change drops this hub's cached
 * callers; other hubs see it within {@link Access#CACHE_NANOS}.
 */
final class AccountRoutes {
    private final Hub hub;

    AccountRoutes(Hub hub) {
        this.hub = hub;
    }

    private AccountStore accounts() {
        return hub.storage.accounts();
    }

    void mount(Router router, BodyHandler json) {
        router.get("/api/whoami").handler(this::whoami);
        router.post("/api/users").handler(json).handler(this::createUser);
        router.get("/api/users").handler(this::listUsers);
        router.delete("/api/users/:user").handler(this::deleteUser);
        router.post("/api/orgs").handler(json).handler(this::createOrg);
        router.get("/api/orgs").handler(this::listOrgs);
        router.delete("/api/orgs/:org").handler(this::deleteOrg);
        router.put("/api/orgs/:org/members/:user").handler(json).handler(this::setMember);
        router.delete("/api/orgs/:org/members/:user").handler(this::removeMember);
    }

    private void whoami(RoutingContext ctx) {
        hub.json(ctx, 200, () -> {
            Caller caller = hub.caller(ctx);
            if (!caller.authenticated()) caller.require(Scope.READ); // the 401 with its hint
            Map<String, String> orgs = new TreeMap<>();
            caller.namespaces().forEach((owner, role) -> {
                if (!owner.equals(caller.name())) orgs.put(owner, role.id());
            });
            return new WhoAmI(caller.name(), caller.token(), caller.scopes().stream().sorted().map(Scope::id)
                    .toList(), caller.isAdmin(), orgs);
        });
    }

    /** Runs an administrator's change and forgets cached callers, whose rights it may have changed. */
    private void admin(RoutingContext ctx, int status, AdminTask task) {
        hub.json(ctx, status, () -> {
            Caller caller = hub.caller(ctx);
            caller.require(Scope.ADMIN);
            Object result = task.run(caller);
            hub.access.forgetCallers();
            return result;
        });
    }

    private interface AdminTask {
        Object run(Caller admin);
    }

    private void createUser(RoutingContext ctx) {
        CreateUser request = Jsons.read(ctx, CreateUser.class);
        if (request.name() == null) throw ApiException.badRequest("user name is missing");
        Names.requireAccountName(request.name());
        admin(ctx, 201, caller ->
                user(accounts().createUser(request.name(), Boolean.TRUE.equals(request.admin()), caller.name())));
    }

    private void listUsers(RoutingContext ctx) {
        admin(ctx, 200, caller -> accounts().users().stream().map(AccountRoutes::user).toList());
    }

    private void deleteUser(RoutingContext ctx) {
        String name = Names.requireAccountName(ctx.pathParam("user"));
        admin(ctx, 200, caller -> {
            if (name.equals(caller.name())) throw ApiException.badRequest("a hub administrator cannot delete itself");
            if (name.equals(AdminToken.USER)) {
                // It would come back: every start recreates it and its token from <data>/admin-token.
                throw ApiException.badRequest("the bootstrap administrator '" + AdminToken.USER
                        + "' cannot be deleted (every hub start recreates it from <data>/admin-token)");
            }
            if (!accounts().deleteUser(name)) throw ApiException.notFound("user '" + name + "' not found");
            // Its tokens would stop working anyway (their user is gone); deleting them keeps a later user of the
            // same name from inheriting them.
            int revoked = 0;
            for (TokenStore.StoredToken token : hub.storage.tokens().list()) {
                if (Access.owner(token.info()).equals(name)) {
                    hub.storage.tokens().delete(token.secretHash());
                    revoked++;
                }
            }
            return new DeletedUser(name, revoked);
        });
    }

    private void createOrg(RoutingContext ctx) {
        CreateOrg request = Jsons.read(ctx, CreateOrg.class);
        if (request.name() == null) throw ApiException.badRequest("organisation name is missing");
        Names.requireAccountName(request.name());
        admin(ctx, 201, caller -> org(accounts().createOrg(request.name(), caller.name())));
    }

    private Org org(AccountStore.Org org) {
        Map<String, String> members = new TreeMap<>();
        for (AccountStore.Membership m : accounts().members(org.name())) members.put(m.user(), m.role());
        return new Org(org.name(), org.createdBy(), org.created(), members);
    }

    private static User user(AccountStore.User user) {
        return new User(user.name(), user.admin(), user.createdBy(), user.created());
    }

    private static Membership membership(AccountStore.Membership m) {
        return new Membership(m.org(), m.user(), m.role(), m.addedBy(), m.added());
    }

    private void listOrgs(RoutingContext ctx) {
        admin(ctx, 200, caller -> accounts().orgs().stream().map(this::org).toList());
    }

    private void deleteOrg(RoutingContext ctx) {
        String name = Names.requireAccountName(ctx.pathParam("org"));
        admin(ctx, 200, caller -> {
            if (!accounts().deleteOrg(name)) throw ApiException.notFound("organisation '" + name + "' not found");
            return new DeletedOrg(name);
        });
    }

    private void setMember(RoutingContext ctx) {
        String org = Names.requireAccountName(ctx.pathParam("org"));
        String user = Names.requireAccountName(ctx.pathParam("user"));
        // The body is optional: no body means the write role.
        Role role = ctx.body().length() > 0 ? roleOf(Jsons.read(ctx, SetMember.class)) : Role.WRITE;
        admin(ctx, 200, caller -> membership(accounts().addMember(org, user, role.id(), caller.name())));
    }

    private static Role roleOf(SetMember request) {
        return request.role() == null ? Role.WRITE : Role.parse(request.role());
    }

    private void removeMember(RoutingContext ctx) {
        String org = Names.requireAccountName(ctx.pathParam("org"));
        String user = Names.requireAccountName(ctx.pathParam("user"));
        admin(ctx, 200, caller -> {
            if (!accounts().removeMember(org, user)) {
                throw ApiException.notFound("user '" + user + "' is not a member of '" + org + "'");
            }
            return new RemovedMember(org, user);
        });
    }
}
