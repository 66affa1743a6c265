package io.quanthub.hub;

import io.quanthub.storage.RepoStore;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Who makes a request: the user a token belongs to, with the token's scopes, or nobody ({@link #ANONYMOUS}).
 *
 * <p>A user's reach is its namespaces (its own name, which it writes, and each organisation it is a member of, with
 * its role there); a hub administrator's reach is every namespace. A token's scopes say what it may do within that
 * reach: {@code read} sees private repositories, {@code write} creates repositories, uploads and commits, and
 * {@code admin} counts as both, and manages accounts and other users' tokens if the user is a hub administrator.
 *
 * @param name       the user
 * @param token      the token's name (for messages and logs)
 * @param hubAdmin   the user is a hub administrator
 * @param namespaces the repository owners the user belongs to, with its role there (its own name: {@link Role#WRITE})
 */
record Caller(String name, String token, Set<Scope> scopes, boolean hubAdmin, Map<String, Role> namespaces) {
    static final Caller ANONYMOUS = new Caller("anonymous", "none", Set.of(), false, Map.of());

    Caller {
        scopes = scopes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(scopes));
        namespaces = Map.copyOf(namespaces);
    }

    boolean authenticated() {
        return this != ANONYMOUS;
    }

    /** The token has the admin scope and belongs to a hub administrator: the one thing an admin scope alone is not. */
    boolean isAdmin() {
        return hubAdmin && scopes.contains(Scope.ADMIN);
    }

    /** Whether the token may do what {@code scope} names (within the user's reach); admin counts as read and write. */
    boolean has(Scope scope) {
        if (scope == Scope.ADMIN) return isAdmin();
        return scopes.contains(scope) || scopes.contains(Scope.ADMIN);
    }

    /**
     * Private repositories exist only for read tokens of users in the repository's namespace (and of hub
     * administrators).
     */
    boolean canSee(RepoStore.RepoInfo repo) {
        return !repo.isPrivate() || has(Scope.READ) && (hubAdmin || namespaces.containsKey(repo.name().owner()));
    }

    /** Whether the caller may create repositories in, upload and commit to the namespace {@code owner}. */
    boolean canWriteTo(String owner) {
        return has(Scope.WRITE) && (hubAdmin || namespaces.get(owner) == Role.WRITE);
    }

    /** 401 without a token, 403 with a token that lacks the scope (or, for admin, a user who is no hub admin). */
    void require(Scope scope) {
        if (has(scope)) return;
        if (!authenticated()) {
            throw new ApiException(401, "this needs an API token with the " + scope.id()
                    + " scope (Authorization: Bearer <token>)");
        }
        if (scope == Scope.ADMIN && scopes.contains(Scope.ADMIN)) {
            throw new ApiException(403, "user '" + name + "' is not a hub administrator");
        }
        throw new ApiException(403, "token '" + token + "' of user '" + name + "' lacks the " + scope.id()
                + " scope");
    }

    /** 401/403 unless the caller may write to the namespace {@code owner}. */
    void requireWriteTo(String owner) {
        require(Scope.WRITE);
        if (!canWriteTo(owner)) {
            throw new ApiException(403, "user '" + name + "' may not write to the namespace '" + owner
                    + "' (only its own name and organisations where it has the write role)");
        }
    }
}
