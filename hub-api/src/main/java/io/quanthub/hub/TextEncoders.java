package io.quanthub.hub;

import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.json.Json;
import io.quanthub.hub.api.TextEncoder;
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
 * the file uses the admin's default for its architecture ({@code quanthub serve --text-encoders}).
 *
 * <p>A reference is resolved for each caller: one to a repository the caller may not see reads as unavailable, the
 * same as one to a repository that does not exist, so nothing of a private repository shows.
 */
final class TextEncoders {
    static final String FILE = "quanthub.json";
    static final String KEY = "text_encoders";
    static final int MAX_FILE_BYTES = 64 << 10;
    static final int MAX_ENCODERS = 8;
    private static final Pattern ROLE = Pattern.compile("[a-z0-9][a-z0-9_]{0,31}");
    private static final Pattern ARCHITECTURE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,31}");

    /** A parsed reference: a file ({@code path}), a level ({@code quant}) or the default level (neither). */
    record Reference(String role, String ref, RepoName repo, String path, QuantLevel quant) {
        static Reference parse(String role, String ref) {
            if (role == null || !ROLE.matcher(role).matches()) {
                throw new IllegalArgumentException("text encoder role '" + role + "' must be 1-32 lower-case "
                        + "letters, digits or '_' (e.g. clip_l, t5xxl)");
            }
            if (ref == null || ref.isBlank() || ref.length() > 512) {
                throw new IllegalArgumentException("text encoder " + role + ": the reference must be org/name, "
                        + "org/name:QUANT or org/name/path (at most 512 characters)");
            }
            String rest = ref;
            QuantLevel quant = null;
            int colon = rest.lastIndexOf(':');
            if (colon >= 0) {
                try {
                    quant = QuantLevel.parse(rest.substring(colon + 1));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("text encoder " + role + ": " + e.getMessage());
                }
                rest = rest.substring(0, colon);
            }
            int first = rest.indexOf('/');
            int second = first < 0 ? -1 : rest.indexOf('/', first + 1);
            String path = second < 0 ? null : rest.substring(second + 1);
            if (quant != null && path != null) {
                throw new IllegalArgumentException("text encoder " + role + ": '" + ref + "' names both a file and "
                        + "a quant level");
            }
            RepoName repo;
            try {
                repo = RepoName.parse(second < 0 ? rest : rest.substring(0, second));
                if (path != null) io.quanthub.storage.Names.requireFilePath(path);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("text encoder " + role + ": " + e.getMessage());
            }
            return new Reference(role, ref, repo, path, quant);
        }
    }

    private final HubStorage storage;
    private final Access access;
    private final ModelCatalog catalog;
    private final Map<String, Map<String, String>> defaults;
    private final Map<Digest, List<Reference>> files = ModelCatalog.lru(256);

    TextEncoders(HubStorage storage, Access access, ModelCatalog catalog, Map<String, Map<String, String>> defaults) {
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
            roles.forEach(Reference::parse);
            copy.put(name, Map.copyOf(new LinkedHashMap<>(roles)));
        });
        return Map.copyOf(copy);
    }

    /**
     * The references of {@value #FILE}'s text (checked when committed).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static List<Reference> parseFile(String text) {
        Map<String, Object> root;
        try {
            root = Json.parseObject(text);
        } catch (Json.JsonException e) {
            throw new IllegalArgumentException(FILE + " is not a JSON object: " + e.getMessage());
        }
        Object encoders = root.get(KEY);
        if (encoders == null) return List.of();
        if (!(encoders instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(FILE + ": " + KEY + " must be an object of role: reference");
        }
        if (map.size() > MAX_ENCODERS) {
            throw new IllegalArgumentException(FILE + ": at most " + MAX_ENCODERS + " text encoders, not " + map.size());
        }
        List<Reference> refs = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String ref)) {
                throw new IllegalArgumentException(FILE + ": text encoder " + e.getKey() + " must be a string");
            }
            try {
                refs.add(Reference.parse((String) e.getKey(), ref));
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException(FILE + ": " + bad.getMessage());
            }
        }
        return List.copyOf(refs);
    }

    /** {@value #FILE} as committed: valid, else a 422 naming the problem. Blocks on storage. */
    void requireValid(Blob blob) {
        try {
            references(blob);
        } catch (IllegalArgumentException e) {
            throw new ApiException(422, e.getMessage());
        }
    }

    /** The text encoders of the model at {@code commit}, resolved for {@code caller}. Blocks on storage. */
    List<TextEncoder> of(Caller caller, Commit commit, String architecture) {
        Optional<Blob> file = commit.file(FILE);
        List<Reference> refs = List.of();
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
                    .map(e -> Reference.parse(e.getKey(), e.getValue())).toList();
        }
        List<TextEncoder> encoders = new ArrayList<>();
        for (Reference ref : refs) encoders.add(resolve(caller, ref, origin));
        return List.copyOf(encoders);
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

    private TextEncoder resolve(Caller caller, Reference ref, TextEncoder.Origin origin) {
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

    private static TextEncoder available(Reference ref, TextEncoder.Origin origin, String path, QuantLevel level,
                                         Blob blob) {
        return new TextEncoder(ref.role(), ref.ref(), origin, TextEncoder.Status.AVAILABLE, path,
                level == null ? null : level.name(), blob.digest(), blob.size());
    }

    private static TextEncoder unavailable(Reference ref, TextEncoder.Origin origin) {
        return new TextEncoder(ref.role(), ref.ref(), origin, TextEncoder.Status.UNAVAILABLE, null,
                ref.quant() == null ? null : ref.quant().name(), null, null);
    }

    private List<Reference> references(Blob blob) {
        List<Reference> known = files.get(blob.digest());
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
        List<Reference> refs = parseFile(text);
        files.put(blob.digest(), refs);
        return refs;
    }
}
