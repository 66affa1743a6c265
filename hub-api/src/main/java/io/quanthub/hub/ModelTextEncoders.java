package io.quanthub.hub;

import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.hub.api.TextEncoder;
import io.quanthub.inference.text.TextEncoderReference;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Commit;
import io.quanthub.storage.Digest;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.RepoStore;
import io.quanthub.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which text encoders a model uses. A repository names them in {@value #FILE} at its root:
 * <pre>{"text_encoders": {"clip_l": "comfyanonymous/flux_text_encoders/clip_l.safetensors",
 *                   "t5xxl": "city96/t5-v1_1-xxl-encoder:Q8_0"}}</pre>
 * a role ({@code clip_l}, {@code t5xxl}: lower-case letters, digits, {@code _}) to a reference of this hub: a file
 * ({@code org/name/path}), a quant level of a repository ({@code org/name:QUANT}, made on demand like any other), or
 * a repository's default level ({@code org/name}), all at the head of its {@code main} branch. A repository without
 * the file uses the admin's default for its architecture ({@code quanthub serve --text-encoders}); without either, a
 * commit holding files with the conventional names ({@link #CONVENTIONAL_FILES}) uses those. This is the one place
 * that decides a model's encoders: the catalog, the VRAM table, prompt previews and what a preview records.
 *
 * <p>A reference is resolved for each caller: one to a repository the caller may not see reads as unavailable, the
 * same as one to a repository that does not exist, so nothing of a private repository shows.
 */
final class ModelTextEncoders {
    static final String FILE = TextEncoderReference.FILE;
    static final int MAX_FILE_BYTES = 64 << 10;
    static final int MAX_ENCODERS = TextEncoderReference.MAX_ENCODERS;
    /**
     * The fallback when neither {@value #FILE} nor the admin names encoders: files of the same commit with the names
     * Flux users give them (ComfyUI's {@code clip_l.safetensors} and {@code t5xxl_fp16.safetensors} /
     * {@code t5xxl_fp8_e4m3fn.safetensors}, city96's {@code t5-v1_1-xxl-encoder-Q8_0.gguf}), at the top level or in
     * {@code text_encoders/}; the first match in path order wins.
     */
    static final Map<String, Pattern> CONVENTIONAL_FILES = Map.of(
            TextEncoderReference.CLIP_L, Pattern.compile("(text_encoders/)?clip_l[^/]*\\.safetensors"),
            TextEncoderReference.T5XXL, Pattern.compile("(text_encoders/)?t5[^/]*\\.(safetensors|gguf)"));
    static final String CONVENTIONAL_DESCRIPTION = "text_encoders/clip_l.safetensors and "
            + "text_encoders/t5xxl_fp16.safetensors (or a t5*.gguf; the top level works too)";
    private static final Pattern ARCHITECTURE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,31}");

    private final HubStorage storage;
    private final Access access;
    private final ModelCatalog catalog;
    private final Map<String, Map<String, String>> defaults;
    private final Map<Digest, List<TextEncoderReference>> files = ModelCatalog.lru(256);

    ModelTextEncoders(HubStorage storage, Access access, ModelCatalog catalog,
                      Map<String, Map<String, String>> defaults) {
        this.storage = storage;
        this.access = access;
        this.catalog = catalog;
        this.defaults = defaults;
    }

    /** Checks and copies the admin's defaults (for {@link HubConfig}); IllegalArgumentException names a bad one. */
    static Map<String, Map<String, String>> validDefaults(Map<String, Map<String, String>> defaults) {
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        (defaults == null ? Map.<String, Map<String, String>>of() : defaults).forEach((arch, roles) -> {
            String name = arch == null ? "" : arch.toLowerCase(Locale.ROOT);
            if (!ARCHITECTURE.matcher(name).matches()) {
                throw new IllegalArgumentException("text encoder defaults: '" + arch + "' is not an architecture name");
            }
            if (roles.isEmpty() || roles.size() > MAX_ENCODERS) {
                throw new IllegalArgumentException("text encoder defaults of " + name + ": 1.." + MAX_ENCODERS
                        + " encoders");
            }
            roles.forEach(TextEncoderReference::parse);
            copy.put(name, Map.copyOf(new LinkedHashMap<>(roles)));
        });
        return Map.copyOf(copy);
    }

    /** {@value #FILE} as committed: valid, else a 422 naming the problem. Blocks on storage. */
    void requireValid(Blob blob) {
        try {
            references(blob);
        } catch (IllegalArgumentException e) {
            throw new ApiException(422, e.getMessage());
        }
    }

    /**
     * The text encoders of the model at {@code commit} of {@code repo}, resolved for {@code caller}: those its
     * {@value #FILE} names, else the admin's default for its architecture, else the {@link #CONVENTIONAL_FILES} of
     * the commit itself. Blocks on storage.
     */
    List<TextEncoder> of(Caller caller, RepoName repo, Commit commit, String architecture) {
        Optional<Blob> file = commit.file(FILE);
        List<TextEncoderReference> refs = List.of();
        TextEncoder.Origin origin = TextEncoder.Origin.REPOSITORY;
        if (file.isPresent()) {
            try {
                refs = references(file.get());
            } catch (IllegalArgumentException invalid) {
                // Committed before commits checked it: it names nothing.
            }
        }
        if (refs.isEmpty() && architecture != null && defaults.containsKey(architecture)) {
            origin = TextEncoder.Origin.DEFAULT;
            refs = defaults.get(architecture).entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .map(e -> TextEncoderReference.parse(e.getKey(), e.getValue())).toList();
        }
        if (refs.isEmpty()) return conventionalFiles(repo, commit);
        List<TextEncoder> encoders = new ArrayList<>();
        for (TextEncoderReference ref : refs) encoders.add(resolve(caller, ref, origin));
        return List.copyOf(encoders);
    }

    /** The encoders among the commit's own files, by their conventional names (both or none). */
    private static List<TextEncoder> conventionalFiles(RepoName repo, Commit commit) {
        List<TextEncoder> found = new ArrayList<>();
        for (String role : List.of(TextEncoderReference.CLIP_L, TextEncoderReference.T5XXL)) {
            Pattern pattern = CONVENTIONAL_FILES.get(role);
            commit.files().entrySet().stream().filter(e -> pattern.matcher(e.getKey()).matches()).findFirst()
                    .ifPresent(e -> found.add(new TextEncoder(role, repo + "/" + e.getKey(), TextEncoder.Origin.FILES,
                            TextEncoder.Status.AVAILABLE, e.getKey(), null, e.getValue().digest(),
                            e.getValue().size())));
        }
        return found.size() == CONVENTIONAL_FILES.size() ? List.copyOf(found) : List.of();
    }

    /** The encoder of {@code role}, if the model names one. */
    static Optional<TextEncoder> role(List<TextEncoder> encoders, String role) {
        return encoders.stream().filter(e -> e.role().equals(role)).findFirst();
    }

    /** The bytes of all encoders, or null when there are none or one is unavailable (then sizes are unknown). */
    static Long totalBytes(List<TextEncoder> encoders) {
        if (encoders.isEmpty()) return null;
        long total = 0;
        for (TextEncoder e : encoders) {
            if (e.size() == null) return null;
            total += e.size();
        }
        return total;
    }

    /** Role to digest of the available encoders: what a preview records. */
    static Map<String, String> digests(List<TextEncoder> encoders) {
        Map<String, String> digests = new LinkedHashMap<>();
        for (TextEncoder e : encoders) {
            if (e.digest() != null) digests.put(e.role(), e.digest().toString());
        }
        return digests;
    }

    private TextEncoder resolve(Caller caller, TextEncoderReference ref, TextEncoder.Origin origin) {
        RepoStore.RepoInfo info = access.repoInfo(ref.repo());
        if (info == null || !caller.canSee(info)) return unavailable(ref, origin);
        Commit head;
        try {
            head = storage.repos().resolve(ref.repo(), Hub.DEFAULT_BRANCH);
        } catch (StorageException.NotFound nothingCommitted) {
            return unavailable(ref, origin);
        }
        if (ref.path() != null) {
            return head.file(ref.path()).map(b -> available(ref, origin, ref.path(), null, b))
                    .orElseGet(() -> unavailable(ref, origin));
        }
        ModelCatalog.ModelFacts facts = catalog.facts(head);
        Map<QuantLevel, RevisionLevels.Available> levels = RevisionLevels.available(facts, storage.variants());
        QuantLevel level = ref.quant() != null ? ref.quant() : RevisionLevels.defaultLevel(facts).orElse(null);
        if (level != null && levels.containsKey(level)) {
            RevisionLevels.Available a = levels.get(level);
            String path = a.path() != null ? a.path() : RevisionLevels.variantPath(ref.repo(), level);
            return available(ref, origin, path, level, a.blob());
        }
        ModelCatalog.SourceModel source = facts.source();
        if (ref.quant() != null && source != null && source.planned().containsKey(ref.quant())) {
            return new TextEncoder(ref.role(), ref.ref(), origin, TextEncoder.Status.PRODUCIBLE, null,
                    ref.quant().name(), null, source.planned().get(ref.quant()).size());
        }
        if (ref.quant() == null && source != null) return available(ref, origin, source.path(), null, source.blob());
        return unavailable(ref, origin);
    }

    private static TextEncoder available(TextEncoderReference ref, TextEncoder.Origin origin, String path, QuantLevel level,
                                         Blob blob) {
        return new TextEncoder(ref.role(), ref.ref(), origin, TextEncoder.Status.AVAILABLE, path,
                level == null ? null : level.name(), blob.digest(), blob.size());
    }

    private static TextEncoder unavailable(TextEncoderReference ref, TextEncoder.Origin origin) {
        return new TextEncoder(ref.role(), ref.ref(), origin, TextEncoder.Status.UNAVAILABLE, null,
                ref.quant() == null ? null : ref.quant().name(), null, null);
    }

    private List<TextEncoderReference> references(Blob blob) {
        List<TextEncoderReference> known = files.get(blob.digest());
        if (known != null) return known;
        if (blob.size() > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(FILE + " is " + blob.size() + " bytes; at most " + MAX_FILE_BYTES);
        }
        String text;
        try (InputStream in = storage.blobs().open(blob.digest())) {
            text = new String(in.readNBytes((int) blob.size()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + FILE + " from storage: " + e.getMessage(), e);
        }
        List<TextEncoderReference> refs = TextEncoderReference.parseFile(text);
        files.put(blob.digest(), refs);
        return refs;
    }
}
