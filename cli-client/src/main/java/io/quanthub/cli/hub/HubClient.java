package io.quanthub.cli.hub;

import io.quanthub.gguf.json.Json;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * The hub's REST API (docs/hub-api.md) over {@link HttpClient}: plain blocking calls, one method per endpoint the
 * CLI uses. Every failure is an {@link IOException} whose message is one line naming the problem: the hub's own
 * {@code error} text for an error status ({@link HubException}), or what could not be reached.
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
        String path = "/api/models" + query(query);
        return JsonFields.parseArray(getJson(path), response("GET", path)).stream().map(RepoSummary::of).toList();
    }

    /** {@code GET /api/models/{org}/{name}}; {@code revision} null means the hub's default. */
    public RepoDetails model(String repo, String revision) throws IOException {
        String path = "/api/models/" + repoPath(repo) + revisionQuery(revision);
        return RepoDetails.of(JsonFields.parse(getJson(path), response("GET", path)));
    }

    /** {@code GET /api/models/{org}/{name}/quants}. */
    public Quants quants(String repo, String revision) throws IOException {
        String path = "/api/models/" + repoPath(repo) + "/quants" + revisionQuery(revision);
        return Quants.of(JsonFields.parse(getJson(path), response("GET", path)));
    }

    /** {@code POST /api/repos}. */
    public void createRepo(String repo, boolean isPrivate) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", repo);
        body.put("private", isPrivate);
        send("POST", "/api/repos", HttpRequest.BodyPublishers.ofString(Json.write(body)), CALL_TIMEOUT);
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
        JsonFields answer = JsonFields.parse(body(request, "PUT " + path), response("PUT", path));
        String stored = Sha256.parse(answer.string("digest"), "uploaded digest");
        if (!stored.equals(sha256)) {
            throw new IOException("hub stored " + file + " as " + stored + " but its sha256 is " + sha256);
        }
    }

    /**
     * {@code POST .../commits/{branch}}: adds or replaces {@code files} on the branch.
     *
     * @param parent the head the change was based on (null for a new branch); a moved head is a 409
     *               {@link HubException}
     * @return the new commit's id
     */
    public String commit(String repo, String branch, String message, String parent, List<RepoFile> files)
            throws IOException {
        Map<String, Object> changed = new LinkedHashMap<>();
        for (RepoFile f : files) {
            Map<String, Object> blob = new LinkedHashMap<>();
            blob.put("digest", Sha256.json(f.sha256()));
            blob.put("size", f.size());
            changed.put(f.path(), blob);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", message);
        if (parent != null) body.put("parent", parent);
        body.put("files", changed);
        body.put("deletes", new ArrayList<>());
        String path = "/api/models/" + repoPath(repo) + "/commits/" + segment(branch);
        String answer = send("POST", path, HttpRequest.BodyPublishers.ofString(Json.write(body)), CALL_TIMEOUT);
        return JsonFields.parse(answer, response("POST", path)).string("id");
    }

    /**
     * {@code POST /api/models/{org}/{name}/quants/{QUANT}}: asks the hub to produce a quant level of the model at
     * {@code revision}; answers the conversion job (done at once when the level is already available).
     */
    public HubJob produce(String repo, String revision, String quant) throws IOException {
        String path = "/api/models/" + repoPath(repo) + "/quants/" + segment(quant) + revisionQuery(revision);
        String answer = send("POST", path, HttpRequest.BodyPublishers.noBody(), CALL_TIMEOUT);
        return HubJob.of(JsonFields.parse(answer, response("POST", path)));
    }

    /**
     * {@code POST /api/admin/gc} (admin): one garbage-collection run, or a dry run that deletes nothing; waits for it
     * as long as it takes. {@code grace} is in any form the hub accepts ({@code 24h}, {@code PT24H}), null for the
     * hub's own.
     */
    public JsonFields collectGarbage(boolean dryRun, String grace) throws IOException {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("dryRun", Boolean.toString(dryRun));
        if (grace != null) query.put("grace", grace);
        String path = "/api/admin/gc" + query(query);
        return JsonFields.parse(send("POST", path, HttpRequest.BodyPublishers.noBody(), null), response("POST", path));
    }

    /** {@code GET /api/jobs/{id}}. */
    public HubJob job(String id) throws IOException {
        String path = "/api/jobs/" + segment(id);
        return HubJob.of(JsonFields.parse(getJson(path), response("GET", path)));
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

        EventStream(Consumer<HubJob> listener, String context) {
            this.listener = listener;
            this.context = context;
        }

        void line(String line) {
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
                JsonFields fields = JsonFields.parse(data.toString(), context);
                if (event.equals("error")) {
                    error = fields.optString("error");
                } else {
                    last = HubJob.of(fields);
                    listener.accept(last);
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
    public JsonFields whoami() throws IOException {
        return JsonFields.parse(getJson("/api/whoami"), response("GET", "/api/whoami"));
    }

    /**
     * {@code POST /api/tokens}: a new token of {@code user} (null: the caller's own user); the answer holds the
     * secret, shown this once.
     */
    public JsonFields createToken(String name, List<String> scopes, String user) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("scopes", scopes);
        if (user != null) body.put("user", user);
        return jsonCall("POST", "/api/tokens", body);
    }

    /** {@code GET /api/tokens}: the tokens of {@code user} (null: the caller's own user), never their secrets. */
    public List<JsonFields> tokens(String user) throws IOException {
        String path = "/api/tokens" + userQuery(user);
        return JsonFields.parseArray(getJson(path), response("GET", path));
    }

    /** {@code DELETE /api/tokens/{id or name}}: revokes a token of {@code user} (null: the caller's own user). */
    public JsonFields revokeToken(String idOrName, String user) throws IOException {
        return jsonCall("DELETE", "/api/tokens/" + segment(idOrName) + userQuery(user), null);
    }

    private static String userQuery(String user) {
        return user == null ? "" : query(Map.of("user", user));
    }

    /** {@code POST /api/users} (admin). */
    public JsonFields createUser(String name, boolean admin) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("admin", admin);
        return jsonCall("POST", "/api/users", body);
    }

    /** {@code GET /api/users} (admin). */
    public List<JsonFields> users() throws IOException {
        return JsonFields.parseArray(getJson("/api/users"), response("GET", "/api/users"));
    }

    /** {@code DELETE /api/users/{name}} (admin): the user, its memberships and its tokens. */
    public JsonFields deleteUser(String name) throws IOException {
        return jsonCall("DELETE", "/api/users/" + segment(name), null);
    }

    /** {@code POST /api/orgs} (admin). */
    public JsonFields createOrg(String name) throws IOException {
        return jsonCall("POST", "/api/orgs", Map.of("name", name));
    }

    /** {@code GET /api/orgs} (admin): each with its members and their roles. */
    public List<JsonFields> orgs() throws IOException {
        return JsonFields.parseArray(getJson("/api/orgs"), response("GET", "/api/orgs"));
    }

    /** {@code DELETE /api/orgs/{name}} (admin). */
    public JsonFields deleteOrg(String name) throws IOException {
        return jsonCall("DELETE", "/api/orgs/" + segment(name), null);
    }

    /** {@code PUT /api/orgs/{org}/members/{user}} (admin): adds a member or changes its role (read, write). */
    public JsonFields setMember(String org, String user, String role) throws IOException {
        return jsonCall("PUT", "/api/orgs/" + segment(org) + "/members/" + segment(user), Map.of("role", role));
    }

    /** {@code DELETE /api/orgs/{org}/members/{user}} (admin). */
    public JsonFields removeMember(String org, String user) throws IOException {
        return jsonCall("DELETE", "/api/orgs/" + segment(org) + "/members/" + segment(user), null);
    }

    /** Sends {@code body} (null: none) as JSON and parses the answer, a JSON object. */
    private JsonFields jsonCall(String method, String path, Map<String, Object> body) throws IOException {
        String answer = send(method, path, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(Json.write(body)), CALL_TIMEOUT);
        return JsonFields.parse(answer, response(method, path));
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
