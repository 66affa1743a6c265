package io.quanthub.gguf.convert;

import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.GgufValueType;
import io.quanthub.gguf.json.Json;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.regex.Pattern;

/**
 * The metadata llama.cpp's converter writes for a T5 encoder ({@code T5EncoderModel.set_gguf_parameters} and
 * {@code set_vocab}, then gguf-py's {@code SpecialVocab}), in its order, from the tensor shapes, the optional
 * config.json and the Hugging Face tokenizer.json.
 *
 * <p>The converter reads the SentencePiece model (spiece.model), which has no {@code <extra_id_N>} pieces: Hugging
 * Face's tokenizer.json appends them, so they are dropped here, and like the converter every id beyond the pieces up to
 * the embedding's row count is a placeholder {@code [PAD<id>]} with score -10000 and type UNUSED.
 */
final class T5EncoderMetadata {
    static final String ARCH = "t5encoder";
    private static final Pattern EXTRA_ID = Pattern.compile("<extra_id_\\d+>");
    /** gguf-py's SentencePieceTokenTypes. */
    private static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, UNUSED = 5;
    private static final float PLACEHOLDER_SCORE = -10000f;

    private T5EncoderMetadata() {
    }

    /** The hyper-parameters, from the shapes (PyTorch order) of the GGUF-named tensors and config.json. */
    record Hparams(long contextLength, long dModel, long dFf, int blocks, long heads, long dKv, float eps,
                   long buckets, long vocab) {
        static Hparams of(Map<String, long[]> shapes, Map<String, Object> config) {
            long[] embd = require(shapes, "token_embd.weight", 2);
            long[] relB = require(shapes, "enc.blk.0.attn_rel_b.weight", 2);
            long[] q = require(shapes, "enc.blk.0.attn_q.weight", 2);
            long[] up = require(shapes, "enc.blk.0.ffn_up.weight", 2);
            int blocks = 0;
            while (shapes.containsKey("enc.blk." + blocks + ".attn_q.weight")) blocks++;
            long heads = relB[1];
            if (heads == 0 || q[0] % heads != 0) {
                throw new ConversionException("T5 encoder: attn_q rows " + q[0] + " are not a multiple of the "
                        + heads + " heads of the relative attention bias");
            }
            return new Hparams(number(config, "n_positions", 512).longValue(), embd[1], up[0], blocks, heads,
                    q[0] / heads, number(config, "layer_norm_epsilon", 1e-6).floatValue(), relB[0], embd[0]);
        }

        private static long[] require(Map<String, long[]> shapes, String name, int dims) {
            long[] shape = shapes.get(name);
            if (shape == null || shape.length != dims) {
                throw new ConversionException("T5 encoder: tensor " + name + (shape == null ? " is missing"
                        : " has shape " + Arrays.toString(shape) + ", expected " + dims + " dims"));
            }
            return shape;
        }

        private static Number number(Map<String, Object> config, String key, Number fallback) {
            return config.get(key) instanceof Number n ? n : fallback;
        }
    }

    /** The converter's KVs for the F32/F16/BF16 file of this level's file type. */
    static SequencedMap<String, GgufValue> of(String name, Hparams h, String tokenizerJson, int fileType) {
        if (tokenizerJson == null) {
            throw new ConversionException("a T5 encoder needs its tokenizer: put tokenizer.json next to the model"
                    + " (or in t5_tokenizer/), or name it with --tokenizer");
        }
        SequencedMap<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put(ConversionPlan.ARCHITECTURE_KEY, GgufValue.of(ARCH));
        kv.put("general.name", GgufValue.of(name == null || name.isBlank() ? "t5" : name));
        kv.put(ARCH + ".context_length", GgufValue.u32(h.contextLength()));
        kv.put(ARCH + ".embedding_length", GgufValue.u32(h.dModel()));
        kv.put(ARCH + ".feed_forward_length", GgufValue.u32(h.dFf()));
        kv.put(ARCH + ".block_count", GgufValue.u32(h.blocks()));
        kv.put(ARCH + ".attention.head_count", GgufValue.u32(h.heads()));
        kv.put(ARCH + ".attention.key_length", GgufValue.u32(h.dKv()));
        kv.put(ARCH + ".attention.value_length", GgufValue.u32(h.dKv()));
        kv.put(ARCH + ".attention.layer_norm_epsilon", new GgufValue.F32(h.eps()));
        kv.put(ARCH + ".attention.relative_buckets_count", GgufValue.u32(h.buckets()));
        kv.put(ARCH + ".attention.layer_norm_rms_epsilon", new GgufValue.F32(h.eps()));
        kv.put(ConversionPlan.FILE_TYPE_KEY, GgufValue.u32(fileType));
        kv.putAll(tokenizer(tokenizerJson, h.vocab()));
        return kv;
    }

    /** set_vocab's KVs and SpecialVocab's, from a Hugging Face Unigram tokenizer.json. */
    @SuppressWarnings("unchecked")
    static SequencedMap<String, GgufValue> tokenizer(String tokenizerJson, long vocabSize) {
        Map<String, Object> root;
        try {
            root = Json.parseObject(tokenizerJson);
        } catch (Json.JsonException e) {
            throw new ConversionException("tokenizer.json is not valid JSON: " + e.getMessage());
        }
        Map<String, Object> model = object(root.get("model"), "model");
        if (!"Unigram".equals(model.get("type"))) {
            throw new ConversionException("tokenizer.json: a T5 tokenizer is a SentencePiece Unigram model, this one is "
                    + model.get("type"));
        }
        List<Object> vocab = list(model.get("vocab"), "model.vocab");
        Map<String, Integer> specialIds = new HashMap<>();
        for (Object o : root.get("added_tokens") instanceof List<?> l ? l : List.of()) {
            Map<String, Object> t = object(o, "added_tokens[]");
            if (Boolean.TRUE.equals(t.get("special")) && t.get("content") instanceof String c
                    && t.get("id") instanceof Long id) {
                specialIds.put(c, Math.toIntExact(id));
            }
        }
        // Hugging Face appends the sentinel tokens to the SentencePiece pieces; spiece.model has none of them.
        int pieces = vocab.size();
        while (pieces > 0 && EXTRA_ID.matcher(pieceOf(vocab.get(pieces - 1))).matches()) pieces--;
        if (pieces > vocabSize) {
            throw new ConversionException("tokenizer.json has " + pieces + " pieces but the token embedding only "
                    + vocabSize + " rows");
        }
        int n = Math.toIntExact(vocabSize);
        long unkId = model.get("unk_id") instanceof Long u ? u : -1;
        List<GgufValue> tokens = new ArrayList<>(n);
        List<GgufValue> scores = new ArrayList<>(n);
        List<GgufValue> types = new ArrayList<>(n);
        for (int id = 0; id < n; id++) {
            if (id < pieces) {
                List<Object> entry = list(vocab.get(id), "model.vocab[" + id + "]");
                String piece = pieceOf(entry);
                tokens.add(GgufValue.of(piece));
                scores.add(new GgufValue.F32(((Number) entry.get(1)).floatValue()));
                int type = id == unkId ? UNKNOWN : specialIds.containsKey(piece) ? CONTROL : NORMAL;
                types.add(GgufValue.i32(type));
            } else {
                tokens.add(GgufValue.of("[PAD" + id + "]"));
                scores.add(new GgufValue.F32(PLACEHOLDER_SCORE));
                types.add(GgufValue.i32(UNUSED));
            }
        }
        SequencedMap<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("tokenizer.ggml.model", GgufValue.of("t5"));
        kv.put("tokenizer.ggml.pre", GgufValue.of("default"));
        kv.put("tokenizer.ggml.tokens", new GgufValue.Arr(GgufValueType.STRING, tokens));
        kv.put("tokenizer.ggml.scores", new GgufValue.Arr(GgufValueType.FLOAT32, scores));
        kv.put("tokenizer.ggml.token_type", new GgufValue.Arr(GgufValueType.INT32, types));
        kv.put("tokenizer.ggml.add_space_prefix", new GgufValue.Bool(addsDummyPrefix(root)));
        kv.put("tokenizer.ggml.remove_extra_whitespaces", new GgufValue.Bool(removesExtraWhitespace(root)));
        byte[] charsmap = precompiledCharsmap(root);
        if (charsmap != null && charsmap.length > 0) {
            List<GgufValue> bytes = new ArrayList<>(charsmap.length);
            for (byte b : charsmap) bytes.add(new GgufValue.U8(b & 0xff));
            kv.put("tokenizer.ggml.precompiled_charsmap", new GgufValue.Arr(GgufValueType.UINT8, bytes));
        }
        // SpecialVocab: bos, eos, unk, sep, pad, cls, mask, each when the tokenizer has it.
        putId(kv, "tokenizer.ggml.eos_token_id", specialIds.get("</s>"));
        if (unkId >= 0) kv.put("tokenizer.ggml.unknown_token_id", GgufValue.u32(unkId));
        putId(kv, "tokenizer.ggml.padding_token_id", specialIds.get("<pad>"));
        // SpecialVocab reads add_eos/add_sep from the post-processor's template: T5 appends </s> and has no separator.
        if (root.get("post_processor") instanceof Map<?, ?> post && "TemplateProcessing".equals(post.get("type"))) {
            List<Object> single = list(post.get("single"), "post_processor.single");
            boolean endsSpecial = !single.isEmpty() && single.getLast() instanceof Map<?, ?> last
                    && last.containsKey("SpecialToken");
            kv.put("tokenizer.ggml.add_eos_token", new GgufValue.Bool(endsSpecial));
            kv.put("tokenizer.ggml.add_sep_token", new GgufValue.Bool(false));
        }
        return kv;
    }

    private static void putId(SequencedMap<String, GgufValue> kv, String key, Integer id) {
        if (id != null) kv.put(key, GgufValue.u32(id));
    }

    /** SentencePiece's add_dummy_prefix: the Metaspace pre-tokenizer prepends ▁ (to the first word). */
    private static boolean addsDummyPrefix(Map<String, Object> root) {
        if (!(root.get("pre_tokenizer") instanceof Map<?, ?> pre)) return true;
        if (pre.get("prepend_scheme") instanceof String scheme) return !scheme.equals("never");
        return !Boolean.FALSE.equals(pre.get("add_prefix_space"));
    }

    /** SentencePiece's remove_extra_whitespaces: Hugging Face writes it as a Replace of {@code " {2,}"}. */
    private static boolean removesExtraWhitespace(Map<String, Object> root) {
        return normalizers(root).stream().anyMatch(n -> "Replace".equals(n.get("type"))
                && n.get("pattern") instanceof Map<?, ?> p && " {2,}".equals(p.get("Regex")));
    }

    private static byte[] precompiledCharsmap(Map<String, Object> root) {
        for (Map<String, Object> n : normalizers(root)) {
            if ("Precompiled".equals(n.get("type")) && n.get("precompiled_charsmap") instanceof String b64) {
                try {
                    return Base64.getDecoder().decode(b64);
                } catch (IllegalArgumentException e) {
                    throw new ConversionException("tokenizer.json: precompiled_charsmap is not base64");
                }
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> normalizers(Map<String, Object> root) {
        if (!(root.get("normalizer") instanceof Map<?, ?> n)) return List.of();
        if ("Sequence".equals(n.get("type")) && n.get("normalizers") instanceof List<?> l) {
            return l.stream().filter(Map.class::isInstance).map(m -> (Map<String, Object>) m).toList();
        }
        return List.of((Map<String, Object>) n);
    }

    private static String pieceOf(Object entry) {
        if (entry instanceof List<?> l && !l.isEmpty() && l.getFirst() instanceof String s && l.size() == 2
                && l.get(1) instanceof Number) {
            return s;
        }
        throw new ConversionException("tokenizer.json: model.vocab entries must be [piece, score]");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o, String what) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new ConversionException("tokenizer.json: " + what + " is " + Json.kind(o) + ", expected an object");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, String what) {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw new ConversionException("tokenizer.json: " + what + " is " + Json.kind(o) + ", expected an array");
    }
}
