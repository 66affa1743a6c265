package io.quanthub.gguf.tokenizer;

import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.json.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece Unigram tokenization (T5's), exactly as llama.cpp's UGM tokenizer does it, which equals Google
 * sentencepiece on T5's vocabulary: normalize with the {@link CharsMap}, turn spaces into {@code ▁} (runs collapsed,
 * ends trimmed, one {@code ▁} in front), then the Viterbi path of highest summed piece log-probability. A character
 * no piece covers costs the lowest normal score minus 10 and becomes {@code <unk>}; a run of them is one {@code <unk>}.
 * Special tokens are not parsed from the text ({@code </s>} typed in a prompt is text).
 *
 * <p>The model comes from an HF {@code tokenizer.json} ({@code Unigram} model with a {@code Precompiled} normalizer)
 * or from a GGUF's {@code tokenizer.ggml.*} metadata (model {@code t5}).
 */
public final class UnigramTokenizer {
    /** SentencePiece piece types, numbered as in GGUF's {@code tokenizer.ggml.token_type}. */
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final double UNKNOWN_PENALTY = 10.0;
    private static final String SPACE = "\u2581";
    private static final String BUNDLED_T5 = "t5_tokenizer.json.gz";
    private static volatile UnigramTokenizer t5;

    private final List<String> pieces;
    private final float[] scores;
    private final int[] types;
    private final CharsMap charsMap;
    private final int unkId;
    private final int eosId;
    private final boolean addSpacePrefix;
    private final boolean mergeSpaces;
    /** Matchable pieces by their UTF-8 bytes read as ISO-8859-1 (one char per byte). */
    private final Map<String, Integer> matcher = new HashMap<>();
    private final int maxPieceBytes;
    private final float unknownScore;

    public UnigramTokenizer(List<String> pieces, float[] scores, int[] types, CharsMap charsMap, int unkId, int eosId,
                            boolean addSpacePrefix, boolean mergeSpaces) {
        if (pieces.size() != scores.length || pieces.size() != types.length) {
            throw new IllegalArgumentException("tokenizer has " + pieces.size() + " pieces, " + scores.length
                    + " scores and " + types.length + " types");
        }
        checkId("unk", unkId, pieces.size());
        checkId("eos", eosId, pieces.size());
        this.pieces = List.copyOf(pieces);
        this.scores = scores.clone();
        this.types = types.clone();
        this.charsMap = charsMap;
        this.unkId = unkId;
        this.eosId = eosId;
        this.addSpacePrefix = addSpacePrefix;
        this.mergeSpaces = mergeSpaces;
        float min = Float.MAX_VALUE;
        int longest = 1;
        for (int id = 0; id < pieces.size(); id++) {
            int type = types[id];
            if (type == NORMAL) min = Math.min(min, scores[id]);
            if (type == NORMAL || type == USER_DEFINED || type == UNUSED) {
                String key = bytesKey(pieces.get(id));
                if (key.isEmpty()) continue;
                matcher.putIfAbsent(key, id);
                longest = Math.max(longest, key.length());
            }
        }
        this.maxPieceBytes = longest;
        this.unknownScore = (float) (min - UNKNOWN_PENALTY);
    }

    private static void checkId(String what, int id, int size) {
        if (id < 0 || id >= size) throw new IllegalArgumentException(what + " id " + id + " is outside the vocabulary");
    }

    /** T5 v1.1's tokenizer (google/t5-v1_1-xxl, as ComfyUI ships it for Flux), shipped gzipped in this jar. */
    public static UnigramTokenizer t5() {
        UnigramTokenizer t = t5;
        if (t == null) {
            try (java.io.InputStream in = UnigramTokenizer.class.getResourceAsStream(BUNDLED_T5)) {
                if (in == null) throw new IllegalStateException(BUNDLED_T5 + " is missing from the jar");
                t = fromTokenizerJson(new String(new java.util.zip.GZIPInputStream(in).readAllBytes(),
                        StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("reading " + BUNDLED_T5 + ": " + e.getMessage(), e);
            }
            t5 = t;
        }
        return t;
    }

    /** From an HF {@code tokenizer.json} with a Unigram model (T5's, as ComfyUI and transformers ship it). */
    @SuppressWarnings("unchecked")
    public static UnigramTokenizer fromTokenizerJson(String json) {
        Map<String, Object> root = Json.parseObject(json);
        Map<String, Object> model = (Map<String, Object>) require(root, "model", Map.class);
        if (!"Unigram".equals(model.get("type"))) {
            throw new IllegalArgumentException("tokenizer.json: model type is " + model.get("type") + ", not Unigram");
        }
        List<Object> vocab = (List<Object>) require(model, "vocab", List.class);
        int n = vocab.size();
        List<String> pieces = new ArrayList<>(n);
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int id = 0; id < n; id++) {
            if (!(vocab.get(id) instanceof List<?> entry) || entry.size() != 2 || !(entry.get(0) instanceof String p)
                    || !(entry.get(1) instanceof Number s)) {
                throw new IllegalArgumentException("tokenizer.json: vocab entry " + id + " is not [piece, score]");
            }
            pieces.add(p);
            scores[id] = s.floatValue();
            types[id] = NORMAL;
        }
        int unk = ((Number) require(model, "unk_id", Number.class)).intValue();
        checkId("unk", unk, n);
        // Added (special) tokens are matched before the model in HF and are control pieces in sentencepiece.
        if (root.get("added_tokens") instanceof List<?> added) {
            for (Object a : added) {
                if (a instanceof Map<?, ?> m && m.get("id") instanceof Number id && id.intValue() >= 0
                        && id.intValue() < n) {
                    types[id.intValue()] = CONTROL;
                }
            }
        }
        types[unk] = UNKNOWN;
        int eos = pieces.indexOf("</s>");
        if (eos < 0) throw new IllegalArgumentException("tokenizer.json has no </s> piece");
        byte[] charsMap = findCharsMap(root.get("normalizer"));
        return new UnigramTokenizer(pieces, scores, types, CharsMap.of(charsMap), unk, eos, true, true);
    }

    @SuppressWarnings("unchecked")
    private static byte[] findCharsMap(Object normalizer) {
        if (normalizer instanceof Map<?, ?> m) {
            if ("Precompiled".equals(m.get("type")) && m.get("precompiled_charsmap") instanceof String s) {
                return Base64.getDecoder().decode(s);
            }
            if (m.get("normalizers") instanceof List<?> list) {
                for (Object o : list) {
                    byte[] found = findCharsMap(o);
                    if (found.length > 0) return found;
                }
            }
        }
        return new byte[0];
    }

    private static Object require(Map<String, Object> map, String key, Class<?> type) {
        Object v = map.get(key);
        if (!type.isInstance(v)) {
            throw new IllegalArgumentException("tokenizer.json: '" + key + "' is missing or not "
                    + type.getSimpleName());
        }
        return v;
    }

    /** From GGUF metadata with {@code tokenizer.ggml.model = t5} (llama.cpp's converter, city96's T5 GGUFs). */
    public static UnigramTokenizer fromGguf(Map<String, GgufValue> metadata) {
        String model = string(metadata, "tokenizer.ggml.model");
        if (!"t5".equals(model)) {
            throw new IllegalArgumentException("tokenizer.ggml.model is '" + model
                    + "', not t5 (SentencePiece Unigram)");
        }
        List<GgufValue> tokens = array(metadata, "tokenizer.ggml.tokens");
        List<GgufValue> scoreValues = array(metadata, "tokenizer.ggml.scores");
        List<GgufValue> typeValues = array(metadata, "tokenizer.ggml.token_type");
        List<String> pieces = tokens.stream().map(GgufValue::asString).toList();
        float[] scores = new float[scoreValues.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = scoreValues.get(i) instanceof GgufValue.F32 f ? f.value() : (float) scoreValues.get(i).asLong();
        }
        int[] types = typeValues.stream().mapToInt(v -> (int) v.asLong()).toArray();
        byte[] charsMap = new byte[0];
        if (metadata.get("tokenizer.ggml.precompiled_charsmap") instanceof GgufValue.Arr a) {
            charsMap = new byte[a.values().size()];
            for (int i = 0; i < charsMap.length; i++) charsMap[i] = (byte) a.values().get(i).asLong();
        }
        int unk = (int) integer(metadata, "tokenizer.ggml.unknown_token_id", 2);
        int eos = (int) integer(metadata, "tokenizer.ggml.eos_token_id", 1);
        return new UnigramTokenizer(pieces, scores, types, CharsMap.of(charsMap), unk, eos,
                bool(metadata, "tokenizer.ggml.add_space_prefix", true),
                bool(metadata, "tokenizer.ggml.remove_extra_whitespaces", true));
    }

    private static String string(Map<String, GgufValue> metadata, String key) {
        GgufValue v = metadata.get(key);
        if (v == null) throw new IllegalArgumentException("the GGUF has no " + key + " (no tokenizer)");
        return v.asString();
    }

    private static List<GgufValue> array(Map<String, GgufValue> metadata, String key) {
        if (!(metadata.get(key) instanceof GgufValue.Arr a)) {
            throw new IllegalArgumentException("the GGUF has no array " + key);
        }
        return a.values();
    }

    private static long integer(Map<String, GgufValue> metadata, String key, long fallback) {
        GgufValue v = metadata.get(key);
        return v == null ? fallback : v.asLong();
    }

    private static boolean bool(Map<String, GgufValue> metadata, String key, boolean fallback) {
        return metadata.get(key) instanceof GgufValue.Bool b ? b.value() : fallback;
    }

    public int eosId() {
        return eosId;
    }

    public int unkId() {
        return unkId;
    }

    public int vocabularySize() {
        return pieces.size();
    }

    public String piece(int id) {
        return pieces.get(id);
    }

    /** The piece ids of {@code text} followed by {@code </s>}: llama.cpp's {@code llama_tokenize(add_special=true)}. */
    public int[] encode(String text) {
        List<Integer> ids = pieceIds(normalize(text));
        int[] out = new int[ids.size() + 1];
        for (int i = 0; i < ids.size(); i++) out[i] = ids.get(i);
        out[ids.size()] = eosId;
        return out;
    }

    /**
     * {@link #encode} cut or padded to {@code length} as HF's {@code T5Tokenizer(truncation=True, max_length=length,
     * padding="max_length")}: content cut to {@code length - 1}, {@code </s>}, then {@code pad} (0 for T5).
     */
    public static int[] padded(int[] ids, int length, int eos, int pad) {
        if (length < 1) throw new IllegalArgumentException("length must be at least 1, got " + length);
        int[] out = new int[length];
        java.util.Arrays.fill(out, pad);
        int content = Math.min(ids.length - 1, length - 1);
        System.arraycopy(ids, 0, out, 0, content);
        out[content] = eos;
        return out;
    }

    /** Charsmap normalization, then spaces as llama.cpp's UGM {@code normalize} turns them into {@code ▁}. */
    byte[] normalize(String text) {
        byte[] mapped = charsMap.normalize(text.getBytes(StandardCharsets.UTF_8));
        byte[] space = SPACE.getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(mapped.length + 16);
        boolean spacePrepended = false;
        boolean inWord = false;
        for (byte c : mapped) {
            if (c != ' ') {
                if (!inWord) {
                    inWord = true;
                    if ((addSpacePrefix && !spacePrepended) || mergeSpaces) {
                        out.writeBytes(space);
                        spacePrepended = true;
                    }
                }
                out.write(c);
            } else {
                inWord = false;
                if (!mergeSpaces) out.writeBytes(space);
            }
        }
        return out.toByteArray();
    }

    /** The best segmentation of normalized bytes (llama.cpp's Viterbi, ties kept by the first path found). */
    private List<Integer> pieceIds(byte[] text) {
        int n = text.length;
        String key = new String(text, StandardCharsets.ISO_8859_1);
        int[] bestId = new int[n + 1];
        int[] bestStart = new int[n + 1];
        float[] bestScore = new float[n + 1];
        java.util.Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(bestId, unkId);
        bestScore[0] = 0;
        for (int start = 0; start < n; ) {
            int charBytes = Math.min(Utf8.lengthOf(text[start]), n - start);
            boolean singleCharPiece = false;
            double current = bestScore[start];
            for (int end = start + 1; end <= Math.min(n, start + maxPieceBytes); end++) {
                Integer id = matcher.get(key.substring(start, end));
                if (id == null) continue;
                if (end - start == charBytes) singleCharPiece = true;
                double score = current + (types[id] == USER_DEFINED ? 0.0 : scores[id]);
                if (score > bestScore[end]) {
                    bestScore[end] = (float) score;
                    bestId[end] = id;
                    bestStart[end] = start;
                }
            }
            if (!singleCharPiece) {
                int end = start + charBytes;
                double score = current + unknownScore;
                if (score > bestScore[end]) {
                    bestScore[end] = (float) score;
                    bestId[end] = unkId;
                    bestStart[end] = start;
                }
            }
            start += charBytes;
        }
        List<Integer> reversed = new ArrayList<>();
        boolean previousUnknown = false;
        for (int end = n; end > 0; end = bestStart[end]) {
            boolean unknown = bestId[end] == unkId;
            if (!(previousUnknown && unknown)) reversed.add(bestId[end]);
            previousUnknown = unknown;
        }
        return reversed.reversed();
    }

    private static String bytesKey(String piece) {
        return new String(piece.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }
}
