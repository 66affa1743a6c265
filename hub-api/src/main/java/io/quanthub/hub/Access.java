package io.quanthub.hub;

import io.quanthub.storage.Digest;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.RepoStore;
import io.quanthub.storage.StorageException;
import io.quanthub.storage.TokenStore;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * API tokens and who may see what. A token is {@code qh_} plus 32 random bytes (base64url); storage keeps only its
 * sha256, so the secret exists only with its owner. Looked-up tokens are remembered for a minute to spare storage a
 * request per API call. Repository records are remembered for good: they never change after creation.
 *
 * <p>Every method may block on storage: call from worker threads.
 */
final class Access {
    private static final String PREFIX = "qh_";
    private static final Pattern TOKEN_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
    private static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int MAX_CACHED = 10_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Cached(Caller caller, long expires) {}

    private final TokenStore tokens;
    private final RepoStore repos;
    private final ConcurrentHashMap<Digest, Cached> callers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<RepoName, RepoStore.RepoInfo> repoInfos = new ConcurrentHashMap<>();

    Access(TokenStore tokens, RepoStore repos) {
        this.tokens = tokens;
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

    /** Creates a token and returns its secret, the only time it is seen. */
    String create(String name, Set<Scope> scopes, String createdBy) {
        if (name == null || !TOKEN_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("token name " + (name == null ? "null" : "'" + name + "'")
                    + " must match [A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
        }
        if (scopes == null || scopes.isEmpty()) throw new IllegalArgumentException("a token needs at least one scope");
        SortedSet<String> ids = new TreeSet<>();
        scopes.forEach(s -> ids.add(s.id()));
        String secret = newSecret();
        tokens.create(hash(secret), name, ids, createdBy);
        return secret;
    }

    /**
     * The caller an {@code Authorization} header names: anonymous without one, a 401 for a malformed header or an
     * unknown token.
     */
    Caller authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) return Caller.ANONYMOUS;
        String[] parts = authorization.strip().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
            throw new ApiException(401, "the Authorization header must be 'Bearer <token>'");
        }
        Digest hash = hash(parts[1]);
        long now = System.nanoTime();
        Cached cached = callers.get(hash);
        if (cached != null && now - cached.expires() < 0) return cached.caller();
        TokenStore.TokenInfo info = tokens.get(hash)
                .orElseThrow(() -> new ApiException(401, "unknown or revoked API token"));
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String id : info.scopes()) scopes.add(Scope.parse(id));
        Caller caller = new Caller(info.name(), scopes);
        if (callers.size() >= MAX_CACHED) callers.clear();
        callers.put(hash, new Cached(caller, now + CACHE_NANOS));
        return caller;
    }

    /**
     * The repository if it exists and the caller may see it; 404 otherwise, the same answer in both cases so that
     * private names do not leak.
     */
    RepoStore.RepoInfo visibleRepo(Caller caller, RepoName repo) {
        RepoStore.RepoInfo info = repoInfo(repo);
        if (info == null || !caller.canSee(info)) throw ApiException.notFound("repository " + repo + " not found");
        return info;
    }

    /** The repository record, or null. */
    RepoStore.RepoInfo repoInfo(RepoName repo) {
        RepoStore.RepoInfo known = repoInfos.get(repo);
        if (known != null) return known;
        RepoStore.RepoInfo info = repos.info(repo).orElse(null);
        if (info != null) repoInfos.put(repo, info);
        return info;
    }

    /** Creates a repository for the caller (who needs the write scope). */
    RepoStore.RepoInfo createRepo(Caller caller, RepoName repo, boolean isPrivate) {
        caller.require(Scope.WRITE);
        try {
            RepoStore.RepoInfo info = repos.create(repo, caller.name(), isPrivate);
            repoInfos.put(repo, info);
            return info;
        } catch (StorageException.AlreadyExists e) {
            // A private repository someone cannot see is still taken; saying so leaks only that the name is used.
            throw new ApiException(409, "repository " + repo + " already exists");
        }
    }
}
