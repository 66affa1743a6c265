package io.quanthub.hub;

import io.quanthub.cluster.JobService;
import io.quanthub.cluster.JobView;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.hub.api.HubJob;
import io.quanthub.storage.Commit;
import io.quanthub.storage.Digest;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.StorageException;
import io.quanthub.storage.Variant;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Quant levels produced on demand: a request for a level of a repository's model becomes a job of the converter
 * cluster ({@link JobService}), and the cluster's jobs are reported as {@link HubJob}s of kind {@value #KIND}.
 *
 * <p>A job belongs to a variant (source bytes, level, converter version), not to a repository: every repository
 * holding the same source shares it. It is shown with the repository and commit of its first request (the
 * variant's provenance), the same on every hub.
 *
 * <p>Every method blocks on storage or the cluster: call from worker threads.
 */
final class Conversions implements JobDirectory {
    static final String KIND = "conversion";

    /** Where a variant was first requested, read once per job from its variant record. */
    private record Origin(RepoName repo, String commit) {}

    private final JobService service;
    private final HubStorage storage;
    private final ModelCatalog catalog;
    private final VariantQualities qualities;
    private final Map<String, Optional<Origin>> origins = ModelCatalog.lru(4096);
    /** Download links of done jobs: a done variant stays where it is. */
    private final Map<String, String> downloads = ModelCatalog.lru(4096);

    Conversions(JobService service, HubStorage storage, ModelCatalog catalog, VariantQualities qualities) {
        this.service = service;
        this.storage = storage;
        this.catalog = catalog;
        this.qualities = qualities;
    }

    /**
     * Asks for {@code level} of the model of {@code repo} at {@code commit}. A level the hub's converter already made
     * from the commit's source answers a done job at once; otherwise the cluster's job for the variant is started or
     * joined (the same job for every request, from any repository holding the same source). A GGUF file of that
     * level pushed to the repository does not count: the hub makes its own. Only without a source to make it from
     * is a pushed file the answer.
     *
     * @throws ApiException 409 when the level is neither pushed nor can be made from the commit's model, 422 when
     *                      its safetensors file does not parse
     */
    HubJob request(RepoName repo, Commit commit, QuantLevel level) {
        ModelCatalog.ModelFacts facts = catalog.facts(commit);
        RevisionLevels.Available available = RevisionLevels.available(facts, storage.variants()).get(level);
        if (available != null && !available.pushed()) {
            storage.variants().addRequester(available.key(), repo);
            JobView done = service.find(available.key()).filter(v -> v.state() == JobView.State.DONE)
                    .orElse(null);
            return done != null ? toHubJob(done) : alreadyThere(repo, commit, level, available);
        }
        ModelCatalog.SourceModel source = facts.source();
        if (source == null || !source.planned().containsKey(level)) {
            if (available != null) return alreadyThere(repo, commit, level, available);
            if (source == null) {
                catalog.requireValidSafetensors(commit); // a model that does not parse: 422 with the parser's message
                catalog.textEncoderWithoutTokenizer(commit).ifPresent(path -> {
                    throw new ApiException(409, path + " is a T5 text encoder: push its tokenizer.json next to it (or "
                            + "in t5_tokenizer/) to make its levels");
                });
                throw new ApiException(409, repo + " at " + commit.id().substring(0, 12) + " has no safetensors "
                        + "model to make " + level + " from; push the model's .safetensors file (or push GGUF files)");
            }
            throw new ApiException(409, level + " cannot be made from " + source.path() + " (the converter has no "
                    + "plan for this level of its tensors)");
        }
        Variant.Key key = new Variant.Key(source.blob().digest(), level.name(), service.converterVersion());
        Variant.Provenance provenance = new Variant.Provenance(repo, commit.id(), source.path(),
                "quanthub-converter " + service.converterVersion(), Instant.now());
        // Listed before the job exists, so that whoever may see this repository may follow the job from the start.
        storage.variants().addRequester(key, repo);
        return toHubJob(service.request(key, provenance));
    }

    /**
     * A done job for a level that needed no conversion: a variant made earlier, or a GGUF file pushed to the
     * repository (its id names the file's bytes, so it never collides with a conversion's).
     */
    private HubJob alreadyThere(RepoName repo, Commit commit, QuantLevel level, RevisionLevels.Available available) {
        String path = available.path() != null ? available.path() : RevisionLevels.variantPath(repo, level);
        String id = available.pushed() ? available.blob().digest().hex() + "-" + level.name() + "-pushed"
                : JobService.jobId(available.key());
        Instant time = commit.manifest().time();
        return new HubJob(id, KIND, HubJob.State.DONE, 1, available.blob().size(),
                available.blob().size(), null, repo.toString(), commit.id(), level.name(),
                available.blob().digest().toString(), time, time,
                Map.of("download", DownloadRoutes.url(repo, commit.id(), path)));
    }

    /**
     * A conversion is shared by every repository holding the same source: the ones that asked for it, besides the
     * first (where it was asked for first is included too; it costs nothing to check again).
     */
    @Override
    public List<RepoName> alsoAskedBy(String id) {
        JobView view = service.find(id).orElse(null);
        if (view == null) return List.of();
        Variant.Key key = new Variant.Key(Digest.parse(view.sourceDigest()), view.quant(), view.converterVersion());
        List<RepoName> repos = new ArrayList<>();
        origin(view.id(), key).ifPresent(o -> repos.add(o.repo()));
        for (RepoName r : storage.variants().requesters(key)) if (!repos.contains(r)) repos.add(r);
        return repos;
    }

    @Override
    public Optional<HubJob> find(String id) {
        return service.find(id).map(this::toHubJob);
    }

    @Override
    public List<HubJob> list() {
        return service.jobs().stream().map(this::toHubJob).toList();
    }

    @Override
    public AutoCloseable onChange(Consumer<Change> listener) {
        return service.onChange(view -> listener.accept(new Change(view.id(), () -> toHubJob(view))));
    }

    private HubJob toHubJob(JobView view) {
        Variant.Key key = new Variant.Key(Digest.parse(view.sourceDigest()), view.quant(), view.converterVersion());
        Origin origin = origin(view.id(), key).orElse(null);
        String download = null;
        if (view.state() == JobView.State.DONE && origin != null) {
            download = downloads.get(view.id());
            if (download == null) {
                download = downloadUrl(origin, QuantLevel.parse(view.quant()), Digest.parse(view.outputDigest()));
                if (download != null) downloads.put(view.id(), download);
            }
        }
        return new HubJob(view.id(), KIND, switch (view.state()) {
            case QUEUED -> HubJob.State.QUEUED;
            case RUNNING -> HubJob.State.RUNNING;
            case DONE -> HubJob.State.DONE;
            case FAILED -> HubJob.State.FAILED;
        }, view.progress(), view.bytesDone(), view.bytesTotal(), view.reason(),
                origin == null ? null : origin.repo().toString(), origin == null ? null : origin.commit(),
                view.quant(), view.outputDigest(), view.createdAt(), view.updatedAt(),
                download == null ? Map.of() : Map.of("download", download));
    }

    private Optional<Origin> origin(String id, Variant.Key key) {
        Optional<Origin> known = origins.get(id);
        if (known != null) return known;
        Optional<Origin> origin = storage.variants().get(key)
                .map(v -> new Origin(v.provenance().repo(), v.provenance().commit()));
        origins.put(id, origin);
        return origin;
    }

    /**
     * Where the done variant is served in its origin commit: the quant table's path of the level; null when that
     * commit is gone.
     */
    private String downloadUrl(Origin origin, QuantLevel level, Digest output) {
        Commit commit;
        try {
            commit = storage.repos().resolve(origin.repo(), origin.commit());
        } catch (StorageException.NotFound gone) {
            return null;
        }
        ModelCatalog.ModelFacts facts = catalog.facts(commit);
        return RevisionLevels.rows(origin.repo(), commit, facts, storage.variants(), qualities).stream()
                .filter(r -> r.quant().equals(level.name()) && output.equals(r.digest()) && r.path() != null)
                .findFirst().map(r -> DownloadRoutes.url(origin.repo(), commit.id(), r.path())).orElse(null);
    }
}
