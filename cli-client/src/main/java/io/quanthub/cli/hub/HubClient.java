package io.quanthub.cli.hub;

import com.fasterxml.jackson.databind.JavaType;
import io.quanthub.hub.api.ApiError;
import io.quanthub.hub.api.ApiJson;
import io.quanthub.hub.api.CommitBody;
import io.quanthub.hub.api.Committed;
import io.quanthub.hub.api.CreateOrg;
import io.quanthub.hub.api.CreateRepo;
import io.quanthub.hub.api.CreateToken;
import io.quanthub.hub.api.CreateUser;
import io.quanthub.hub.api.CreatedToken;
import io.quanthub.hub.api.DeletedOrg;
import io.quanthub.hub.api.DeletedUser;
import io.quanthub.hub.api.GcReport;
import io.quanthub.hub.api.HubJob;
import io.quanthub.hub.api.Membership;
import io.quanthub.hub.api.Org;
import io.quanthub.hub.api.Preview;
import io.quanthub.hub.api.PreviewBody;
import io.quanthub.hub.api.QuantTable;
import io.quanthub.hub.api.RemovedMember;
import io.quanthub.hub.api.RepoDetails;
import io.quanthub.hub.api.RepoFile;
import io.quanthub.hub.api.RepoSummary;
import io.quanthub.hub.api.SetMember;
import io.quanthub.hub.api.TokenSummary;
import io.quanthub.hub.api.Uploaded;
import io.quanthub.hub.api.User;
import io.quanthub.hub.api.WhoAmI;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * The hub's REST API (docs/hub-api.md) over {@link HttpClient}: plain blocking calls, one method per endpoint the
 * CLI uses, taking and returning the hub's own records ({@link io.quanthub.hub.api}). Every failure is an
 * {@link IOException} whose message is one line naming the problem: the hub's own {@code error} text for an error
 * status ({@link HubException}), or what could not be reached.
 */
public final class HubClient {
    /** How long a JSON call may wait for the hub's answer. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    public static final String USER_AGENT = "quanthub-cli/0.1.0";

    private final URI base;
    private final String token;
    private final HttpClient http;

    /**
     * @param baseUrl the hub, e.g. {@code http://localhost:8080}
     * @param token   a bearer token, or null for anonymous reads
     */
    public HubClient(String baseUrl, String token, HttpClient http) {
        this.base = parseBase(baseUrl);
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.http = http;
    }

    /** The client every command shares: HTTP/1.1 (the hub streams large bodies), 10 s to connect. */
    public static HttpClient newHttpClient() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    /** Checks and normalizes a hub URL: http or https, a host, no trailing slash. */
    public static URI parseBase(String url) {
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("hub URL '" + url + "' is not a URL: " + e.getReason());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("hub URL '" + url + "' must look like http(s)://host[:port]");
        }
        String s = uri.toString();
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        return URI.create(s);
    }

    public URI base() {
        return base;
    }

    public HttpClient http() {
        return http;
    }

    /** The {@code Authorization} header value, or null without a token. */
    public String authorization() {
        return token == null ? null : "Bearer " + token;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Endpoints

    /** {@code GET /api/models}: repositories visible to the caller. */
    public List<RepoSummary> models(String search, Integer limit) throws IOException {
        Map<String, String> query = new LinkedHashMap<>();
        if (search != null) query.put("search", search);
        if (limit != null) query.put("limit", limit.toString());
        return get("/api/models" + query(query), ApiJson.listOf(RepoSummary.class));
    }

    /** {@code GET /api/models/{org}/{name}}; {@code revision} null means the hub's default. */
    public RepoDetails model(String repo, String revision) throws IOException {
        return get("/api/models/" + repoPath(repo) + revisionQuery(revision), RepoDetails.class);
    }

    /** {@code GET /api/models/{org}/{name}/quants}. */
    public QuantTable quants(String repo, String revision) throws IOException {
        return get("/api/models/" + repoPath(repo) + "/quants" + revisionQuery(revision), QuantTable.class);
    }

    /** {@code POST /api/repos}. */
    public RepoSummary createRepo(String repo, boolean isPrivate) throws IOException {
        return call("POST", "/api/repos", new CreateRepo(repo, isPrivate), RepoSummary.class);
    }

    /**
     * {@code PUT .../uploads}: streams a file as a blob; the hub checks it against {@code sha256}.
     *
     * @param progress told the length of each chunk handed to the network
     */
    public void upload(String repo, Path file, String sha256, LongConsumer progress) throws IOException {
        String path = "/api/models/" + repoPath(repo) + "/uploads";
        HttpRequest request = request(path, null)
                .header("X-Content-Sha256", sha256)
                .header("Content-Type", "application/octet-stream")
                .PUT(new CountingPublisher(HttpRequest.BodyPublishers.ofFile(file), progress))
                .build();
        Uploaded stored = ApiJson.read(body(request, "PUT " + path), Uploaded.class, response("PUT", path));
        if (!stored.digest().hex().equals(sha256)) {
            throw new IOException("hub stored " + file + " as " + stored.digest().hex() + " but its sha256 is "
                    + sha256);
        }
    }

    /**
     * {@code POST .../commits/{branch}}: adds or replaces {@code files} on the branch.
     *
     * @param parent the head the change was based on (null for a new branch); a moved head is a 409
     *               {@link HubException}
     * @return the new commit
     */
    public Committed commit(String repo, String branch, String message, String parent, List<RepoFile> files)
            throws IOException {
        Map<String, CommitBody.FileRef> changed = new LinkedHashMap<>();
        for (RepoFile f : files) changed.put(f.path(), new CommitBody.FileRef(f.digest(), f.size()));
        return call("POST", "/api/models/" + repoPath(repo) + "/commits/" + segment(branch),
                new CommitBody(message, parent, changed, List.of()), Committed.class);
    }

    /**
     * {@code POST /api/models/{org}/{name}/quants/{QUANT}}: asks the hub to produce a quant level of the model at
     * {@code revision}; answers the conversion job (done at once when the level is already available).
     */
    public HubJob produce(String repo, String revision, String quant) throws IOException {
        return call("POST", "/api/models/" + repoPath(repo) + "/quants/" + segment(quant) + revisionQuery(revision),
                null, HubJob.class);
    }

    /**
     * {@code POST /api/models/{org}/{name}/quants/{QUANT}/previews}: asks for a preview of a quant level (and of
     * the source to compare with); the same request, whoever asks, is the same job.
     */
    public Preview requestPreview(String repo, String revision, String quant, PreviewBody settings)
            throws IOException {
        return call("POST", "/api/models/" + repoPath(repo) + "/quants/" + segment(quant) + "/previews"
                + revisionQuery(revision), settings, Preview.class);
    }

    /** {@code GET /api/previews/{id}}: the preview job with its timings, PSNR and SSIM. */
    public Preview preview(String id) throws IOException {
        return get("/api/previews/" + segment(id), Preview.class);
    }

    /** {@code GET /api/previews/{id}/image}: the rendered PNG's bytes (404 until it is rendered). */
    public byte[] previewImage(String id) throws IOException {
        String path = "/api/previews/" + segment(id) + "/image";
        HttpRequest request = request(path, CALL_TIMEOUT).header("Accept", "image/png").GET().build();
        HttpResponse<byte[]> response = send(http, request, HttpResponse.BodyHandlers.ofByteArray(), "GET " + path);
        if (response.statusCode() / 100 != 2) {
            throw HubException.of(response.statusCode(), new String(response.body(), StandardCharsets.UTF_8),
                    "GET " + path);
        }
        return response.body();
    }

    /**
     * {@code POST /api/admin/gc} (admin): one garbage-collection run, or a dry run that deletes nothing; waits for it
     * as long as it takes. {@code grace} is in any form the hub accepts ({@code 24h}, {@code PT24H}), null for the
     * hub's own.
     */
    public GcReport collectGarbage(boolean dryRun, String grace) throws IOException {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("dryRun", Boolean.toString(dryRun));
        if (grace != null) query.put("grace", grace);
        String path = "/api/admin/gc" + query(query);
        String answer = send("POST", path, HttpRequest.BodyPublishers.noBody(), null);
        return ApiJson.read(answer, GcReport.class, response("POST", path));
    }

    /** {@code GET /api/jobs/{id}}. */
    public HubJob job(String id) throws IOException {
        return get("/api/jobs/" + segment(id), HubJob.class);
    }

    /**
     * Follows a job until it has finished, through its event stream ({@code GET /api/jobs/{id}/events}): every state
     * the hub reports goes to {@code listener}. A stream that drops before the end is opened again, after reading
     * the job once more; a few drops in a row without any news is an error.
     *
     * @return the finished job (done or failed)
     */
    public HubJob follow(HubJob job, Consumer<HubJob> listener) throws IOException {
        String path = "/api/jobs/" + segment(job.id()) + "/events";
        int quietDrops = 0;
        HubJob last = job;
        while (!last.finished()) {
            HttpRequest request = request(path, null).header("Accept", "text/event-stream").GET().build();
            HttpResponse<Stream<String>> response = send(http, request,
                    HttpResponse.BodyHandlers.ofLines(), "GET " + path);
            if (response.statusCode() / 100 != 2) {
                String body = String.join("\n", response.body().toList());
                throw HubException.of(response.statusCode(), body, "GET " + path);
            }
            EventStream events = new EventStream(listener, response("GET", path));
            try (Stream<String> lines = response.body()) {
                lines.forEach(events::line);
            } catch (UncheckedIOException e) {
                // The connection dropped: read the job again below.
            }
            if (events.malformed != null) throw events.malformed;
            if (events.error != null) throw new HubException(404, events.error);
            if (events.last != null) {
                last = events.last;
                quietDrops = 0;
            } else if (++quietDrops >= 3) {
                throw new IOException("lost the event stream of job " + job.id() + " on " + base.getAuthority());
            }
            if (!last.finished()) {
                last = job(job.id());
                listener.accept(last);
            }
        }
        return last;
    }

    /** Reads Server-Sent Events line by line: {@code event:} and {@code data:} lines, a blank line ends each. */
    private static final class EventStream {
        private final Consumer<HubJob> listener;
        private final String context;
        private String event = "message";
        private final StringBuilder data = new StringBuilder();
        HubJob last;
        String error;
        /** An event that is not what the hub sends; the stream is read no further. */
        IOException malformed;

        EventStream(Consumer<HubJob> listener, String context) {
            this.listener = listener;
            this.context = context;
        }

        void line(String line) {
            if (malformed != null) return;
            if (line.isEmpty()) {
                dispatch();
            } else if (line.startsWith("event:")) {
                event = line.substring(6).strip();
            } else if (line.startsWith("data:")) {
                if (!data.isEmpty()) data.append('\n');
                data.append(line.substring(5).strip());
            } // comments (":") and retry: lines need nothing
        }

        private void dispatch() {
            if (!data.isEmpty()) {
                try {
                    if (event.equals("error")) {
                        error = ApiJson.read(data.toString(), ApiError.class, context).error();
                    } else {
                        last = ApiJson.read(data.toString(), HubJob.class, context);
                        listener.accept(last);
                    }
                } catch (IOException e) {
                    malformed = e;
                }
            }
            event = "message";
            data.setLength(0);
        }
    }

    /** {@code /{org}/{name}/resolve/{revision}/{path}}, where a file's bytes are served. */
    public URI resolveUri(String repo, String revision, String filePath) {
        StringBuilder sb = new StringBuilder(base.toString()).append('/').append(repoPath(repo))
                .append("/resolve/").append(segment(revision));
        for (String segment : RepoPaths.require(filePath).split("/")) sb.append('/').append(segment(segment));
        return URI.create(sb.toString());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Accounts and tokens

    /** {@code GET /api/whoami}: the caller's user, token name, scopes, admin flag and organisations. */
    public WhoAmI whoami() throws IOException {
        return get("/api/whoami", WhoAmI.class);
    }

    /**
     * {@code POST /api/tokens}: a new token of {@code user} (null: the caller's own user); the answer holds the
     * secret, shown this once.
     */
    public CreatedToken createToken(String name, List<String> scopes, String user) throws IOException {
        return call("POST", "/api/tokens", new CreateToken(name, scopes, user), CreatedToken.class);
    }

    /** {@code GET /api/tokens}: the tokens of {@code user} (null: the caller's own user), never their secrets. */
    public List<TokenSummary> tokens(String user) throws IOException {
        return get("/api/tokens" + userQuery(user), ApiJson.listOf(TokenSummary.class));
    }

    /** {@code DELETE /api/tokens/{id or name}}: revokes a token of {@code user} (null: the caller's own user). */
    public TokenSummary revokeToken(String idOrName, String user) throws IOException {
        return call("DELETE", "/api/tokens/" + segment(idOrName) + userQuery(user), null, TokenSummary.class);
    }

    private static String userQuery(String user) {
        return user == null ? "" : query(Map.of("user", user));
    }

    /** {@code POST /api/users} (admin). */
    public User createUser(String name, boolean admin) throws IOException {
        return call("POST", "/api/users", new CreateUser(name, admin), User.class);
    }

    /** {@code GET /api/users} (admin). */
    public List<User> users() throws IOException {
        return get("/api/users", ApiJson.listOf(User.class));
    }

    /** {@code DELETE /api/users/{name}} (admin): the user, its memberships and its tokens. */
    public DeletedUser deleteUser(String name) throws IOException {
        return call("DELETE", "/api/users/" + segment(name), null, DeletedUser.class);
    }

    /** {@code POST /api/orgs} (admin). */
    public Org createOrg(String name) throws IOException {
        return call("POST", "/api/orgs", new CreateOrg(name), Org.class);
    }

    /** {@code GET /api/orgs} (admin): each with its members and their roles. */
    public List<Org> orgs() throws IOException {
        return get("/api/orgs", ApiJson.listOf(Org.class));
    }

    /** {@code DELETE /api/orgs/{name}} (admin). */
    public DeletedOrg deleteOrg(String name) throws IOException {
        return call("DELETE", "/api/orgs/" + segment(name), null, DeletedOrg.class);
    }

    /** {@code PUT /api/orgs/{org}/members/{user}} (admin): adds a member or changes its role (read, write). */
    public Membership setMember(String org, String user, String role) throws IOException {
        return call("PUT", "/api/orgs/" + segment(org) + "/members/" + segment(user), new SetMember(role),
                Membership.class);
    }

    /** {@code DELETE /api/orgs/{org}/members/{user}} (admin). */
    public RemovedMember removeMember(String org, String user) throws IOException {
        return call("DELETE", "/api/orgs/" + segment(org) + "/members/" + segment(user), null,
                RemovedMember.class);
    }

    /** {@code GET path}, the answer as a {@code type}. */
    private <T> T get(String path, Class<T> type) throws IOException {
        return ApiJson.read(getJson(path), type, response("GET", path));
    }

    private <T> T get(String path, JavaType type) throws IOException {
        return ApiJson.read(getJson(path), type, response("GET", path));
    }

    /** Sends {@code body} (null: none) as JSON and reads the answer as a {@code type}. */
    private <T> T call(String method, String path, Object body, Class<T> type) throws IOException {
        String answer = send(method, path, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(ApiJson.write(body)), CALL_TIMEOUT);
        return ApiJson.read(answer, type, response(method, path));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // HTTP

    /** A request to {@code pathAndQuery} with the token and JSON accepted; {@code timeout} null means none. */
    public HttpRequest.Builder request(String pathAndQuery, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                .header("Accept", "application/json")
                .header("User-Agent", USER_AGENT);
        if (token != null) b.header("Authorization", authorization());
        if (timeout != null) b.timeout(timeout);
        return b;
    }

    private String getJson(String path) throws IOException {
        return body(request(path, CALL_TIMEOUT).GET().build(), "GET " + path);
    }

    private String send(String method, String path, HttpRequest.BodyPublisher body, Duration timeout)
            throws IOException {
        HttpRequest request = request(path, timeout)
                .header("Content-Type", "application/json")
                .method(method, body)
                .build();
        return body(request, method + " " + path);
    }

    /** Sends a request and returns the body of a 2xx answer; anything else is an exception naming the problem. */
    private String body(HttpRequest request, String what) throws IOException {
        HttpResponse<String> response = send(http, request, HttpResponse.BodyHandlers.ofString(), what);
        if (response.statusCode() / 100 != 2) throw HubException.of(response.statusCode(), response.body(), what);
        return response.body();
    }

    /**
     * {@link HttpClient#send} with its failures turned into one-line messages ("cannot connect to ...": the JDK's
     * {@link ConnectException} has no message of its own).
     */
    public static <T> HttpResponse<T> send(HttpClient http, HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                           String what) throws IOException {
        try {
            return http.send(request, handler);
        } catch (ConnectException e) {
            URI u = request.uri();
            throw new IOException("cannot connect to " + u.getScheme() + "://" + u.getAuthority()
                    + (e.getMessage() != null ? ": " + e.getMessage() : " (connection refused)"), e);
        } catch (HttpTimeoutException e) {
            throw new IOException("no answer to " + what + " from " + request.uri().getAuthority() + " in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted during " + what);
        } catch (IOException e) {
            throw new IOException(what + " failed: " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
        }
    }

    private static String response(String method, String path) {
        return "hub response to " + method + " " + path;
    }

    private static String repoPath(String repo) {
        ModelRef ref = ModelRef.parseRepo(repo);
        return segment(ref.owner()) + "/" + segment(ref.name());
    }

    private static String revisionQuery(String revision) {
        return revision == null ? "" : query(Map.of("revision", revision));
    }

    private static String query(Map<String, String> params) {
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> sb.append(sb.isEmpty() ? '?' : '&').append(k).append('=').append(segment(v)));
        return sb.toString();
    }

    /** Percent-encodes one path segment or query value (URLEncoder is for forms: '+' would mean a space). */
    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Reports each chunk of a request body as it is handed to the network, for an upload progress bar. */
    private record CountingPublisher(HttpRequest.BodyPublisher inner, LongConsumer progress)
            implements HttpRequest.BodyPublisher {
        @Override
        public long contentLength() {
            return inner.contentLength();
        }

        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
            inner.subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription subscription) {
                    subscriber.onSubscribe(subscription);
                }

                @Override
                public void onNext(ByteBuffer item) {
                    int n = item.remaining();
                    subscriber.onNext(item);
                    progress.accept(n);
                }

                @Override
                public void onError(Throwable throwable) {
                    subscriber.onError(throwable);
                }

                @Override
                public void onComplete() {
                    subscriber.onComplete();
                }
            });
        }
    }
}
