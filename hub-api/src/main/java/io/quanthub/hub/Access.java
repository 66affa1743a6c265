package io.quanthub.hub;

import io.quanthub.hub.api.TokenSummary;
import io.quanthub.storage.AccountStore;
import io.quanthub.storage.Digest;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.RepoStore;
import io.quanthub.storage.StorageException;
import io.quanthub.storage.TokenStore;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * API tokens and who may see what. A token is {@code hf_} plus 32 random bytes (base64url), the form Hugging Face
 * clients accept (huggingface.js refuses any other before sending it); storage keeps only its sha256, so the secret
 * exists only with its owner. Tokens made before were {@code qh_...}: they keep working as they are, and as
 * {@code hf_qh_...} for those clients. Repository records are remembered for {@link #CACHE_NANOS} like callers: a
 * repository deleted and created again (perhaps private now) is seen as it is now on every hub within that time.
 *
 * <p>A looked-up caller (token, user, memberships) is remembered for at most {@link #CACHE_NANOS}, counted from
 * before the lookup read storage: several hubs share one bucket, and a token revoked, a user deleted or a membership
 * ended through any of them stops working on all of them within that time. The price is up to three small storage
 * requests per second for each token in use.
 *
 * <p>Token records written before tokens had owners belong to the bootstrap administrator ({@link
 * AdminToken#USER}): every such token was made by an admin-scoped token, and any of them could already see and
 * write every repository, so the rule keeps them working without giving them more than they had.
 *
 * <p>Every method may block on storage: call from worker threads.
 */
final class Access {
    /** A cached caller is re-read after this long: the bound on how long a revoked token keeps working. */
    static final long CACHE_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
    private static final String PREFIX = "hf_";
    /** What Hugging Face clients are given for a token made before tokens were {@code hf_...}: the prefix and it. */
    private static final String LEGACY_FOR_HF = "hf_qh_";
    private static final Pattern TOKEN_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
    /** Hex digits of a secret's hash that identify a token in lists and revocations. */
    private static final int ID_LENGTH = 12;
    private static final int MAX_CACHED = 10_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Cached(Caller caller, long expires) {}

    private record CachedRepo(RepoStore.RepoInfo info, long expires) {}

    /** A token just made: its secret, shown this once, and its summary. */
    record NewToken(String secret, TokenSummary summary) {}

    private final TokenStore tokens;
    private final AccountStore accounts;
    private final RepoStore repos;
    private final ConcurrentHashMap<Digest, Cached> callers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<RepoName, CachedRepo> repoInfos = new ConcurrentHashMap<>();

    Access(TokenStore tokens, AccountStore accounts, RepoStore repos) {
        this.tokens = tokens;
        this.accounts = accounts;
        this.repos = repos;
    }

    /** A fresh secret. */
    static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static Digest hash(String secret) {
        return Digest.of(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** The user a token record belongs to (see the class comment for records without an owner). */
    static String owner(TokenStore.TokenInfo info) {
        return info.owner() != null ? info.owner() : AdminToken.USER;
    }

    // ---- tokens --------------------------------------------------------------------------------------------------

    /**
     * Makes a token for {@code user} (the caller's own user unless null) and returns its summary and secret, the only
     * time the secret is seen. Someone else's token needs a hub administrator; the new token never has a scope the
     * caller's token lacks, and the admin scope only goes to hub administrators.
     */
    NewToken create(Caller caller, String name, Set<Scope> scopes, String user) {
        caller.require(Scope.WRITE);
        String owner = user == null ? caller.name() : user;
        if (!owner.equals(caller.name())) caller.require(Scope.ADMIN);
        if (name == null || !TOKEN_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("token name " + (name == null ? "null" : "'" + name + "'")
                    + " must match [A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
        }
        if (scopes == null || scopes.isEmpty()) throw new IllegalArgumentException("a token needs at least one scope");
        AccountStore.User target = accounts.user(owner)
                .orElseThrow(() -> ApiException.notFound("user '" + owner + "' not found"));
        for (Scope scope : scopes) {
            if (!caller.isAdmin() && !caller.scopes().contains(scope)) {
                throw new ApiException(403, "token '" + caller.token() + "' cannot grant the " + scope.id()
                        + " scope it does not have");
            }
        }
        if (scopes.contains(Scope.ADMIN) && !target.admin()) {
            throw ApiException.badRequest("the admin scope is only for hub administrators, and '" + owner
                    + "' is not one");
        }
        SortedSet<String> ids = new TreeSet<>();
        scopes.forEach(s -> ids.add(s.id()));
        String secret = newSecret();
        Digest hash = hash(secret);
        TokenStore.TokenInfo info = tokens.create(hash, name, ids, caller.name(), owner);
        return new NewToken(secret, summary(new TokenStore.StoredToken(hash, info)));
    }

    private static TokenSummary summary(TokenStore.StoredToken token) {
        TokenStore.TokenInfo info = token.info();
        return new TokenSummary(token.secretHash().hex().substring(0, ID_LENGTH), info.name(), owner(info),
                List.copyOf(info.scopes()), info.createdBy(), info.created());
    }

    /** The tokens of {@code user} (the caller's own unless null; another user's need a hub administrator). */
    List<TokenSummary> tokens(Caller caller, String user) {
        String owner = tokenOwner(caller, user);
        return ownedBy(owner).stream().map(Access::summary).toList();
    }

    private List<TokenStore.StoredToken> ownedBy(String owner) {
        return tokens.list().stream().filter(t -> owner(t.info()).equals(owner)).toList();
    }

    private static String tokenOwner(Caller caller, String user) {
        if (!caller.authenticated()) caller.require(Scope.READ); // the 401 with its hint
        String owner = user == null ? caller.name() : user;
        if (!owner.equals(caller.name())) caller.require(Scope.ADMIN);
        return owner;
    }

    /**
     * Revokes the token of {@code user} (the caller's own unless null) with this id or name: at once on this hub,
     * within {@link #CACHE_NANOS} on every other. A name two tokens share is refused: the id says which.
     */
    TokenSummary revoke(Caller caller, String idOrName, String user) {
        caller.require(Scope.WRITE);
        String owner = tokenOwner(caller, user);
        List<TokenStore.StoredToken> matches = ownedBy(owner).stream()
                .filter(t -> summary(t).id().equals(idOrName) || t.info().name().equals(idOrName))
                .toList();
        if (matches.isEmpty()) throw ApiException.notFound("user '" + owner + "' has no token '" + idOrName + "'");
        if (matches.size() > 1) {
            throw new ApiException(409, "user '" + owner + "' has " + matches.size() + " tokens named '" + idOrName
                    + "'; revoke one by its id (quanthub token list)");
        }
        TokenStore.StoredToken token = matches.getFirst();
        tokens.delete(token.secretHash());
        callers.remove(token.secretHash());
        return summary(token);
    }

    /** Drops every cached caller, after an account or membership changed through this hub. */
    void forgetCallers() {
        callers.clear();
    }

    // ---- callers -------------------------------------------------------------------------------------------------

    /**
     * The caller an {@code Authorization} header names: anonymous without one, a 401 for a malformed header, an
     * unknown or revoked token, or a token whose user is gone.
     */
    Caller authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) return Caller.ANONYMOUS;
        String[] parts = authorization.strip().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
            throw new ApiException(401, "the Authorization header must be 'Bearer <token>'");
        }
        String secret = parts[1];
        Digest hash = hash(secret);
        long started = System.nanoTime();
        Cached cached = callers.get(hash);
        if (cached != null && started - cached.expires() < 0) return cached.caller();
        Caller caller;
        try {
            caller = lookUp(hash);
        } catch (ApiException unknown) {
            if (!secret.startsWith(LEGACY_FOR_HF)) throw unknown;
            caller = lookUp(hash(secret.substring("hf_".length())));
        }
        if (callers.size() >= MAX_CACHED) callers.clear();
        callers.put(hash, new Cached(caller, started + CACHE_NANOS));
        return caller;
    }

    private Caller lookUp(Digest hash) {
        ApiException unknown = new ApiException(401, "unknown or revoked API token");
        TokenStore.TokenInfo info = tokens.get(hash).orElseThrow(() -> unknown);
        AccountStore.User user = accounts.user(owner(info)).orElseThrow(() -> unknown);
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String id : info.scopes()) scopes.add(Scope.parse(id));
        Map<String, Role> namespaces = new HashMap<>();
        for (AccountStore.Membership m : accounts.memberships(user.name())) {
            namespaces.put(m.org(), Role.stored(m.role()));
        }
        namespaces.put(user.name(), Role.WRITE);
        return new Caller(user.name(), info.name(), scopes, user.admin(), namespaces);
    }

    // ---- repositories ----------------------------------------------------------------------------------------------

    /**
     * The repository if it exists and the caller may see it; 404 otherwise, the same answer in both cases so that
     * private names do not leak.
     */
    RepoStore.RepoInfo visibleRepo(Caller caller, RepoName repo) {
        RepoStore.RepoInfo info = repoInfo(repo);
        if (info == null || !caller.canSee(info)) throw ApiException.notFound("repository " + repo + " not found").withErrorCode("RepoNotFound");
        return info;
    }

    /**
     * The repository if the caller may upload and commit to it: 401/403 without the write scope, 404 when it may not
     * see it, 403 when it is outside the caller's namespaces.
     */
    RepoStore.RepoInfo writableRepo(Caller caller, RepoName repo) {
        caller.require(Scope.WRITE);
        RepoStore.RepoInfo info = visibleRepo(caller, repo);
        caller.requireWriteTo(repo.owner());
        return info;
    }

    /** The repository record, or null. */
    RepoStore.RepoInfo repoInfo(RepoName repo) {
        long started = System.nanoTime();
        CachedRepo known = repoInfos.get(repo);
        if (known != null && started - known.expires() < 0) return known.info();
        RepoStore.RepoInfo info = repos.info(repo).orElse(null);
        if (repoInfos.size() >= MAX_CACHED) repoInfos.clear();
        if (info != null) repoInfos.put(repo, new CachedRepo(info, started + CACHE_NANOS));
        else repoInfos.remove(repo);
        return info;
    }

    /** Creates a repository for the caller, who needs the write scope in the repository's namespace. */
    RepoStore.RepoInfo createRepo(Caller caller, RepoName repo, boolean isPrivate) {
        caller.requireWriteTo(repo.owner());
        try {
            RepoStore.RepoInfo info = repos.create(repo, caller.name(), isPrivate);
            repoInfos.remove(repo);
            return info;
        } catch (StorageException.AlreadyExists e) {
            // A private repository someone cannot see is still taken; saying so leaks only that the name is used.
            throw new ApiException(409, "repository " + repo + " already exists");
        }
    }

    /**
     * Deletes a repository the caller may write to (401/403 without the write scope or outside its namespaces,
     * 404 when it may not see it): its commits and refs go at once, its blobs with the next garbage collection.
     */
    void deleteRepo(Caller caller, RepoName repo) {
        writableRepo(caller, repo);
        repos.delete(repo);
        repoInfos.remove(repo);
    }

    /**
     * Moves (renames) a repository the caller may write to (as {@link #deleteRepo}: 404 when it may not see it) into
     * a namespace where it may create one (as {@link #createRepo}), keeping its history, refs and privacy; 409 when
     * the target exists or a push to the source raced the move (see {@link RepoStore#move}).
     */
    RepoStore.RepoInfo moveRepo(Caller caller, RepoName from, RepoName to) {
        writableRepo(caller, from);
        caller.requireWriteTo(to.owner());
        try {
            return repos.move(from, to, caller.name());
        } catch (StorageException.AlreadyExists e) {
            throw new ApiException(409, "repository " + to + " already exists");
        } finally {
            repoInfos.remove(from);
            repoInfos.remove(to);
        }
    }
}
