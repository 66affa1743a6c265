package io.quanthub.hub;

import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.hub.api.ConditioningSets;
import io.quanthub.hub.api.HubJob;
import io.quanthub.hub.api.Preview;
import io.quanthub.hub.api.PreviewBody;
import io.quanthub.hub.api.TextEncoder;
import io.quanthub.inference.preview.PreviewJob;
import io.quanthub.inference.preview.PreviewRequest;
import io.quanthub.inference.text.TextEncoderReference;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Commit;
import io.quanthub.storage.Digest;
import io.quanthub.storage.PreviewImages;
import io.quanthub.storage.RepoName;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Preview images of quant levels, rendered by the cluster's inference nodes:
 * <ul>
 *   <li>{@code POST /api/models/{org}/{name}/quants/{QUANT}/previews[?revision=]} with
 *       {@code {seed, steps, width, height}} and either {@code prompt} (and optionally {@code t5Length}) or
 *       {@code conditioning}: 202 with the preview job (the same job for the same request, whoever asks);</li>
 *   <li>{@code GET /api/previews/{id}}: the job with timings, PSNR and SSIM against the reference;</li>
 *   <li>{@code POST /api/previews/{id}/cancel} (also {@code /api/jobs/{id}/cancel}): its requester or an admin
 *       cancels it (it fails, "cancelled by ...");</li>
 *   <li>{@code GET /api/previews/{id}/image} and {@code /heatmap}: the PNGs;</li>
 *   <li>{@code GET /api/models/{org}/{name}/conditioning[?revision=]}: the conditioning sets a preview may use.</li>
 * </ul>
 *
 * <p>A preview takes a <em>prompt</em>, encoded on the node by the model's text encoders (roles {@code clip_l} and
 * {@code t5xxl} as {@link TextEncoders} resolves them for the caller), or a <em>conditioning set</em>, a safetensors
 * file {@code conditioning/<name>.safetensors} in the repository holding the encoded {@code txt} (T5) and {@code y}
 * (CLIP pooled) tensors. The VAE decoder is the repository's {@code ae.safetensors}.
 *
 * <p>Rendering is the scarcest thing the hub has, so {@link PreviewLimits} bounds it: anonymous callers get small
 * previews of a few fixed seeds (401 beyond), every caller has a few jobs at once and the queue a bounded length (429
 * beyond), and a node fails a job that runs past its time budget. A preview job belongs to one repository and shows
 * only to callers who may see it (404 otherwise, on every route).
 */
final class PreviewRoutes {
    static final String VAE_PATH = "ae.safetensors";
    static final String CONDITIONING_DIR = "conditioning/";
    static final String CONDITIONING_SUFFIX = ".safetensors";
    /** Flux's VAE scales by 8 and the transformer packs 2x2 latent cells: sides are multiples of 16 pixels. */
    static final int PIXEL_MULTIPLE = 16;
    static final int MAX_SIDE = 1024;
    static final int MAX_STEPS = 50;
    static final int DEFAULT_STEPS = 4;
    static final int DEFAULT_SIDE = 256;
    private static final Pattern CONDITIONING_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    /** Longest prompt accepted, in characters (T5 reads 512 tokens; a prompt is no document). */
    static final int MAX_PROMPT_CHARS = 4000;
    /** T5 tokens when the request names no length: Flux dev's 512 (schnell was trained with 256). */
    static final int DEFAULT_T5_LENGTH = 512;

    private final Hub hub;

    PreviewRoutes(Hub hub) {
        this.hub = hub;
    }

    void mount(Router router, BodyHandler json) {
        router.post("/api/models/:org/:name/quants/:quant/previews").handler(json).handler(this::request);
        router.get("/api/models/:org/:name/conditioning").handler(this::conditioningSets);
        router.get("/api/previews/:id").handler(this::preview);
        router.post("/api/previews/:id/cancel").handler(this::cancel);
        // The same under the routes every job has; only previews can be cancelled (a conversion is everyone's).
        router.post("/api/jobs/:id/cancel").handler(ctx -> {
            if (ctx.pathParam("id").startsWith("preview-")) {
                cancel(ctx);
            } else {
                ctx.fail(new ApiException(409, "only preview jobs can be cancelled: a conversion is shared by every "
                        + "repository holding its source"));
            }
        });
        router.get("/api/previews/:id/image").handler(ctx -> png(ctx, false));
        router.get("/api/previews/:id/heatmap").handler(ctx -> png(ctx, true));
    }

    private void request(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = Hub.revision(ctx);
        String quant = ctx.pathParam("quant").toUpperCase(Locale.ROOT);
        PreviewBody body = Jsons.read(ctx, PreviewBody.class);
        Params params = Params.of(body);
        hub.blocking(() -> {
            Caller caller = hub.caller(ctx);
            hub.access.visibleRepo(caller, repo);
            PreviewLimits limits = hub.config.previews();
            if (!caller.authenticated()) params.requireAnonymousLimits(limits);
            if (hub.previews == null) {
                throw new ApiException(503, "this hub runs no cluster member, so it cannot render previews "
                        + "(quanthub serve runs one unless started with --no-cluster)");
            }
            Commit commit = hub.storage.repos().resolve(repo, revision);
            ModelCatalog.ModelFacts facts = hub.catalog.facts(commit);
            QuantLevel level = level(quant);
            RevisionLevels.Available available = RevisionLevels.available(facts, hub.storage.variants()).get(level);
            if (available == null) {
                throw new ApiException(409, level + " of " + repo + " is not available; produce it first "
                        + "(POST /api/models/" + repo + "/quants/" + level + ")");
            }
            Blob vae = commit.file(VAE_PATH).orElseThrow(() -> new ApiException(409, repo + " has no VAE decoder: "
                    + "previews need " + VAE_PATH + " (BFL's decoder.* tensors) in the repository"));
            Digest source = facts.sourceDigest().orElse(null);
            List<TextEncoder> encoders = hub.textEncoders.of(caller, repo, commit, facts.architecture());
            String conditioningDigest = null;
            PreviewRequest.Prompt prompt = null;
            long encoderBytes = 0;
            if (params.prompt() != null) {
                TextEncoder clip = promptEncoder(repo, encoders, TextEncoderReference.CLIP_L);
                TextEncoder t5 = promptEncoder(repo, encoders, TextEncoderReference.T5XXL);
                prompt = new PreviewRequest.Prompt(params.prompt(), clip.digest().toString(), t5.digest().toString(),
                        params.t5Length());
                encoderBytes = (clip.size() == null ? 0 : clip.size()) + (t5.size() == null ? 0 : t5.size());
            } else {
                conditioningDigest = commit.file(conditioningPath(params.conditioning())).orElseThrow(() ->
                        new ApiException(404, "unknown conditioning '" + params.conditioning() + "' in " + repo
                                + "; available: " + describe(conditioningNames(commit)))).digest().toString();
            }
            PreviewRequest request = new PreviewRequest(repo.toString(), commit.id(), level.name(),
                    available.blob().digest().toString(), source == null ? null : source.toString(),
                    vae.digest().toString(), params.conditioning(), conditioningDigest, params.seed(),
                    params.steps(), params.width(), params.height(), prompt, ModelTextEncoders.digests(encoders),
                    new PreviewRequest.Sizes(available.blob().size(), facts.source() == null ? 0
                            : facts.source().blob().size(), vae.size(), encoderBytes));
            return hub.previews.request(request, "source",
                    new PreviewJob.Ticket(requester(ctx, caller), limits.timeBudget()), limits);
        }).onFailure(ctx::fail).onSuccess(view -> {
            ctx.response().putHeader("Location", view.job().links().get("preview"));
            Jsons.send(ctx, view.job().state() == HubJob.State.DONE ? 200 : 202, view);
        });
    }

    /**
     * The model's encoder of {@code role} (resolved for the caller by {@link TextEncoders}), available; 409 naming
     * what to do when the model names none, or one not made yet or not to be had.
     */
    private static TextEncoder promptEncoder(RepoName repo, List<TextEncoder> encoders, String role) {
        TextEncoder encoder = ModelTextEncoders.role(encoders, role).orElseThrow(() -> new ApiException(409, repo
                + " names no " + role + " text encoder, so its previews take no prompt: name clip_l and t5xxl in "
                + ModelTextEncoders.FILE + ", commit " + ModelTextEncoders.CONVENTIONAL_DESCRIPTION
                + ", or use a conditioning set"));
        return switch (encoder.status()) {
            case AVAILABLE -> encoder;
            case PRODUCIBLE -> {
                RepoName of = TextEncoderReference.parse(encoder.role(), encoder.ref()).repo();
                throw new ApiException(409, "the " + role + " text encoder " + encoder.ref() + " of " + repo
                        + " is not produced yet; produce it first (POST /api/models/" + of + "/quants/"
                        + encoder.quant() + ")");
            }
            case UNAVAILABLE -> throw new ApiException(409, "the " + role + " text encoder " + encoder.ref() + " of "
                    + repo + " is not available (no such file or level, or a repository you cannot see)");
        };
    }

    /** Validated request parameters. */
    private record Params(long seed, int steps, int width, int height, String conditioning, String prompt,
                          int t5Length) {
        static Params of(PreviewBody body) {
            String conditioning = body.conditioning();
            String prompt = body.prompt();
            if (prompt != null && conditioning != null) {
                throw ApiException.badRequest("give a prompt or a conditioning set, not both");
            }
            if (prompt == null && (conditioning == null || conditioning.isBlank())) {
                throw ApiException.badRequest("a prompt or a conditioning set is required: \"prompt\": \"a photo of "
                        + "a cat\", or \"conditioning\": the name of a conditioning set of the repository (GET "
                        + "/api/models/{org}/{name}/conditioning lists them)");
            }
            if (prompt != null && prompt.length() > MAX_PROMPT_CHARS) {
                throw ApiException.badRequest("prompt of " + prompt.length() + " characters is too long: at most "
                        + MAX_PROMPT_CHARS);
            }
            int t5Length = body.t5Length() == null ? DEFAULT_T5_LENGTH : body.t5Length();
            if (t5Length < 1 || t5Length > DEFAULT_T5_LENGTH) {
                throw ApiException.badRequest("t5Length must be 1.." + DEFAULT_T5_LENGTH + ", not " + t5Length);
            }
            if (conditioning != null && !CONDITIONING_NAME.matcher(conditioning).matches()) {
                throw ApiException.badRequest("conditioning '" + conditioning + "' is not a valid name (letters, "
                        + "digits, '.', '_', '-')");
            }
            int steps = body.steps() == null ? DEFAULT_STEPS : body.steps();
            if (steps < 1 || steps > MAX_STEPS) {
                throw ApiException.badRequest("steps must be 1.." + MAX_STEPS + ", not " + steps);
            }
            int width = side("width", body.width());
            int height = side("height", body.height());
            return new Params(body.seed() == null ? 0 : body.seed(), steps, width, height, conditioning, prompt,
                    t5Length);
        }

        /** 401 when an anonymous caller asks for more than {@link PreviewLimits} gives anonymous callers. */
        void requireAnonymousLimits(PreviewLimits limits) {
            if (width <= limits.anonymousMaxSide() && height <= limits.anonymousMaxSide()
                    && steps <= limits.anonymousMaxSteps() && seed >= 0 && seed < limits.anonymousSeeds()) {
                return;
            }
            throw new ApiException(401, "anonymous previews are at most " + limits.anonymousMaxSide() + "x"
                    + limits.anonymousMaxSide() + " pixels, " + limits.anonymousMaxSteps() + " steps and seeds 0.."
                    + (limits.anonymousSeeds() - 1) + " (asked: " + width + "x" + height + ", " + steps
                    + " steps, seed " + seed + "); larger previews need an API token (Authorization: Bearer <token>)");
        }

        private static int side(String name, Integer value) {
            int v = value == null ? DEFAULT_SIDE : value;
            if (v <= 0 || v % PIXEL_MULTIPLE != 0) {
                throw ApiException.badRequest(name + " " + v + " must be a positive multiple of " + PIXEL_MULTIPLE);
            }
            if (v > MAX_SIDE) {
                throw ApiException.badRequest(name + " " + v + " is too large: previews are at most " + MAX_SIDE
                        + " pixels a side");
            }
            return v;
        }
    }

    private static QuantLevel level(String name) {
        for (QuantLevel level : QuantLevel.values()) {
            if (level.name().equals(name)) return level;
        }
        throw ApiException.badRequest("unknown quant level '" + name + "'");
    }

    static String conditioningPath(String name) {
        return CONDITIONING_DIR + name + CONDITIONING_SUFFIX;
    }

    /** The conditioning sets of a commit, by name. */
    static List<String> conditioningNames(Commit commit) {
        return commit.files().keySet().stream()
                .filter(p -> p.startsWith(CONDITIONING_DIR) && p.endsWith(CONDITIONING_SUFFIX)
                        && p.indexOf('/', CONDITIONING_DIR.length()) < 0)
                .map(p -> p.substring(CONDITIONING_DIR.length(), p.length() - CONDITIONING_SUFFIX.length()))
                .toList();
    }

    private static String describe(List<String> names) {
        return names.isEmpty() ? "none (add conditioning/<name>.safetensors with txt and y tensors)"
                : String.join(", ", names);
    }

    private void conditioningSets(RoutingContext ctx) {
        RepoName repo = Hub.repo(ctx);
        String revision = Hub.revision(ctx);
        hub.json(ctx, 200, () -> {
            Caller caller = hub.caller(ctx);
            hub.access.visibleRepo(caller, repo);
            Commit commit = hub.storage.repos().resolve(repo, revision);
            return new ConditioningSets(conditioningNames(commit), commit.file(VAE_PATH).isPresent(),
                    hub.previews != null, promptable(hub.textEncoders.of(caller, repo, commit,
                    hub.catalog.facts(commit).architecture())));
        });
    }

    /** Whether a prompt preview would find both encoders available now. */
    private static boolean promptable(List<TextEncoder> encoders) {
        return List.of(TextEncoderReference.CLIP_L, TextEncoderReference.T5XXL).stream().allMatch(role ->
                ModelTextEncoders.role(encoders, role)
                        .filter(e -> e.status() == TextEncoder.Status.AVAILABLE).isPresent());
    }

    private void preview(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        hub.json(ctx, 200, () -> visible(ctx, id));
    }

    /** Cancels a queued or running preview: its requester or an admin; others get 403, and 404 if it is hidden. */
    private void cancel(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        hub.json(ctx, 200, () -> {
            Caller caller = hub.caller(ctx);
            visible(ctx, id);
            String who = caller.authenticated() ? "'" + caller.name() + "'" : "an anonymous caller";
            return hub.previews.cancel(id, requester(ctx, caller), caller.has(Scope.ADMIN), who);
        });
    }

    /**
     * Whose quota a request counts against: the token's user (all its tokens share one quota), an anonymous caller by
     * its address (behind a proxy, every anonymous caller shares the proxy's address, and so one quota).
     */
    static String requester(RoutingContext ctx, Caller caller) {
        if (caller.authenticated()) return "user:" + caller.name();
        var remote = ctx.request().remoteAddress();
        return "ip:" + (remote == null ? "unknown" : remote.hostAddress());
    }

    /** The preview, if the caller may see its repository; 404 otherwise (as for a repository it may not see). */
    private Preview visible(RoutingContext ctx, String id) {
        if (hub.previews == null) throw ApiException.notFound("no preview " + id);
        Preview view = hub.previews.view(id).orElseThrow(() -> ApiException.notFound("no preview " + id));
        // The same answer as for no preview at all: the repository's "not found" would name it.
        if (!hub.canSee(hub.caller(ctx), view.job())) throw ApiException.notFound("no preview " + id);
        return view;
    }

    private void png(RoutingContext ctx, boolean heatmap) {
        String id = ctx.pathParam("id");
        hub.blocking(() -> {
            Preview view = visible(ctx, id);
            Map<String, String> links = view.job().links();
            String what = heatmap ? "heatmap" : "image";
            if (!links.containsKey(what)) {
                throw new ApiException(404, "preview " + id + " has no " + what + (view.job().finished() ? ""
                        : " yet: it is " + view.job().state().id()));
            }
            // From the node's record in storage, not the job record: anyone on the cluster port can write that one.
            PreviewImages.Rendered rendered = hub.storage.previews().get(id)
                    .filter(r -> r.repo().equals(view.job().repo()))
                    .orElseThrow(() -> ApiException.notFound("preview " + id + " has no " + what));
            String digest = heatmap ? rendered.heatmap() : rendered.image();
            if (digest == null) throw ApiException.notFound("preview " + id + " has no " + what);
            try (InputStream in = hub.storage.blobs().open(Digest.parse(digest))) {
                return Buffer.buffer(in.readAllBytes());
            }
        }).onFailure(ctx::fail).onSuccess(png -> ctx.response()
                .putHeader("Content-Type", "image/png")
                .putHeader("Cache-Control", "no-cache")
                .end(png));
    }
}
