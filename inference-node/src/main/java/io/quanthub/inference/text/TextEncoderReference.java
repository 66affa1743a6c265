package io.quanthub.inference.text;

import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.json.Json;
import io.quanthub.storage.Names;
import io.quanthub.storage.RepoName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A text encoder a model names, as a repository's {@value #FILE} or the admin's per-architecture default gives it: a
 * role ({@code clip_l}, {@code t5xxl}: lower-case letters, digits, {@code _}) and a reference of the hub, a file
 * ({@code org/name/path}), a quant level ({@code org/name:QUANT}) or the default level ({@code org/name}) of a
 * repository, all at the head of its {@code main} branch. Parsed here, below the hub, because inference nodes check
 * the encoders of a prompt preview against the same references (a job record can be forged through the cluster port).
 *
 * @param path  the file, or null
 * @param quant the level, or null
 */
public record TextEncoderReference(String role, String ref, RepoName repo, String path, QuantLevel quant) {
    public static final String FILE = "quanthub.json";
    public static final String KEY = "text_encoders";
    public static final int MAX_ENCODERS = 8;
    /** Roles a prompt preview needs: CLIP-L (Flux's pooled {@code y}) and T5 (its {@code txt}). */
    public static final String CLIP_L = "clip_l";
    public static final String T5XXL = "t5xxl";
    private static final Pattern ROLE = Pattern.compile("[a-z0-9][a-z0-9_]{0,31}");

    /** @throws IllegalArgumentException naming what is wrong */
    public static TextEncoderReference parse(String role, String ref) {
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
            if (path != null) Names.requireFilePath(path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("text encoder " + role + ": " + e.getMessage());
        }
        return new TextEncoderReference(role, ref, repo, path, quant);
    }

    /**
     * The references of {@value #FILE}'s text; none when it has no {@value #KEY}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static List<TextEncoderReference> parseFile(String text) {
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
        List<TextEncoderReference> refs = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String ref)) {
                throw new IllegalArgumentException(FILE + ": text encoder " + e.getKey() + " must be a string");
            }
            try {
                refs.add(parse((String) e.getKey(), ref));
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException(FILE + ": " + bad.getMessage());
            }
        }
        return List.copyOf(refs);
    }
}
