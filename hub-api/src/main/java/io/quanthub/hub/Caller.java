package io.quanthub.hub;

import io.quanthub.storage.RepoStore;
import java.util.EnumSet;
import java.util.Set;

/** Who makes a request: a token's name and scopes, or nobody ({@link #ANONYMOUS}). */
record Caller(String name, Set<Scope> scopes) {
    static final Caller ANONYMOUS = new Caller("anonymous", Set.of());

    Caller {
        scopes = scopes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(scopes));
    }

    boolean authenticated() {
        return this != ANONYMOUS;
    }

    boolean has(Scope scope) {
        return scopes.contains(Scope.ADMIN) || scopes.contains(scope);
    }

    /** Private repositories exist only for callers that may read them. */
    boolean canSee(RepoStore.RepoInfo repo) {
        return !repo.isPrivate() || has(Scope.READ);
    }

    /** 401 without a token, 403 with a token that lacks the scope. */
    void require(Scope scope) {
        if (has(scope)) return;
        if (!authenticated()) {
            throw new ApiException(401, "this needs an API token with the " + scope.id()
                    + " scope (Authorization: Bearer <token>)");
        }
        throw new ApiException(403, "token '" + name + "' lacks the " + scope.id() + " scope");
    }
}
