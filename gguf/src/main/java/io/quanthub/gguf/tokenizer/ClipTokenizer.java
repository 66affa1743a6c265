package io.quanthub.gguf.tokenizer;

import io.quanthub.gguf.json.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * openai/CLIP's byte-level BPE tokenizer ({@code clip/simple_tokenizer.py} and {@code clip.tokenize}): text cleaned
 * ({@link TextFixer ftfy}, HTML unescaped twice, whitespace collapsed, lower-cased), split by CLIP's regex, each
 * piece's UTF-8 bytes mapped to printable characters and merged by rank with {@code </w>} on the last symbol.
 *
 * <p>The vocabulary is openai's {@code bpe_simple_vocab_16e6.txt.gz} (merges only; ids follow from them), or HF's
 * {@code vocab.json} + {@code merges.txt}. openai's file ships inside this jar: {@link #openai()}.
 */
public final class ClipTokenizer {
    public static final int CONTEXT_LENGTH = 77;
    public static final String START = "<|startoftext|>";
    public static final String END = "<|endoftext|>";
    /** openai's merges (MIT), as shipped with openai/CLIP. */
    private static final String BUNDLED_VOCAB = "bpe_simple_vocab_16e6.txt.gz";
    /** openai's vocabulary holds the first 48894 merges of the file. */
    private static final int OPENAI_MERGES = 49152 - 256 - 2;
    private static final Pattern SPLIT = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WHITESPACE = Pattern.compile("[\\s\\x1c-\\x1f]+", Pattern.UNICODE_CHARACTER_CLASS);
    /** GPT-2's reversible map of the 256 byte values to printable characters, indexed by byte value. */
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** The same characters in openai's vocabulary order: printable bytes first, then the others. */
    private static final char[] VOCAB_ORDER = new char[256];

    static {
        List<Integer> bytes = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) bytes.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bytes.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bytes.add(b);
        List<Integer> chars = new ArrayList<>(bytes);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!bytes.contains(b)) {
                bytes.add(b);
                chars.add(256 + n++);
            }
        }
        for (int i = 0; i < 256; i++) {
            BYTE_TO_CHAR[bytes.get(i)] = (char) (int) chars.get(i);
            VOCAB_ORDER[i] = (char) (int) chars.get(i);
        }
    }
    private static volatile ClipTokenizer openai;

    private final Map<String, Integer> encoder;
    private final Map<String, Integer> ranks;
    private final int startId;
    private final int endId;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private ClipTokenizer(Map<String, Integer> encoder, List<String> merges) {
        this.encoder = Map.copyOf(encoder);
        Map<String, Integer> r = new HashMap<>();
        for (int i = 0; i < merges.size(); i++) r.putIfAbsent(merges.get(i), i);
        this.ranks = r;
        this.startId = id(START);
        this.endId = id(END);
    }

    private int id(String token) {
        Integer id = encoder.get(token);
        if (id == null) throw new IllegalArgumentException("CLIP vocabulary has no " + token);
        return id;
    }

    /** The tokenizer of openai's vocabulary shipped in this jar (CLIP-L and CLIP-G use the same). */
    public static ClipTokenizer openai() {
        ClipTokenizer t = openai;
        if (t == null) {
            try (InputStream in = ClipTokenizer.class.getResourceAsStream(BUNDLED_VOCAB)) {
                if (in == null) throw new IllegalStateException(BUNDLED_VOCAB + " is missing from the jar");
                t = fromOpenaiMerges(gunzip(in.readAllBytes()));
            } catch (IOException e) {
                throw new IllegalStateException("reading " + BUNDLED_VOCAB + ": " + e.getMessage(), e);
            }
            openai = t;
        }
        return t;
    }

    /**
     * From a file: openai's merges ({@code .txt.gz} or plain), or HF's {@code vocab.json} (with {@code merges.txt} in
     * the same folder), or a folder holding those two.
     */
    public static ClipTokenizer open(Path path) throws IOException {
        if (Files.isDirectory(path)) path = path.resolve("vocab.json");
        String name = path.getFileName().toString();
        if (name.endsWith(".json")) {
            Path merges = path.resolveSibling("merges.txt");
            if (!Files.exists(merges)) throw new IOException(path + " needs merges.txt next to it");
            return fromHf(Files.readString(path), Files.readString(merges));
        }
        byte[] bytes = Files.readAllBytes(path);
        boolean gzip = bytes.length > 2 && (bytes[0] & 0xFF) == 0x1F && (bytes[1] & 0xFF) == 0x8B;
        return fromOpenaiMerges(gzip ? gunzip(bytes) : new String(bytes, StandardCharsets.UTF_8));
    }

    private static String gunzip(byte[] bytes) throws IOException {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** openai's layout: a version line, then merges; ids are bytes, bytes + {@code </w>}, merges, the two specials. */
    static ClipTokenizer fromOpenaiMerges(String text) {
        String[] lines = text.split("\n", -1);
        if (lines.length < OPENAI_MERGES + 1) {
            throw new IllegalArgumentException("CLIP merges file has " + (lines.length - 1) + " merges, expected "
                    + OPENAI_MERGES);
        }
        List<String> merges = Arrays.asList(lines).subList(1, OPENAI_MERGES + 1);
        List<String> vocab = new ArrayList<>();
        for (char c : VOCAB_ORDER) vocab.add(String.valueOf(c));
        for (char c : VOCAB_ORDER) vocab.add(c + "</w>");
        for (String merge : merges) {
            int space = merge.indexOf(' ');
            if (space < 0) throw new IllegalArgumentException("CLIP merge '" + merge + "' is not two symbols");
            vocab.add(merge.substring(0, space) + merge.substring(space + 1));
        }
        vocab.add(START);
        vocab.add(END);
        Map<String, Integer> encoder = new HashMap<>();
        for (int i = 0; i < vocab.size(); i++) encoder.put(vocab.get(i), i);
        return new ClipTokenizer(encoder, merges);
    }

    /** HF's {@code vocab.json} (token to id) and {@code merges.txt} ({@code #version} line, then merges). */
    static ClipTokenizer fromHf(String vocabJson, String mergesText) {
        Map<String, Integer> encoder = new HashMap<>();
        Json.parseObject(vocabJson).forEach((token, id) -> {
            if (!(id instanceof Number n)) throw new IllegalArgumentException("vocab.json: '" + token + "' has no id");
            encoder.put(token, n.intValue());
        });
        List<String> merges = new ArrayList<>();
        for (String line : mergesText.split("\r?\n")) {
            if (line.isEmpty() || line.startsWith("#version")) continue;
            merges.add(line);
        }
        return new ClipTokenizer(encoder, merges);
    }

    /** Token to id, as HF's {@code vocab.json} holds it. */
    public Map<String, Integer> vocabulary() {
        return encoder;
    }

    public int startId() {
        return startId;
    }

    public int endId() {
        return endId;
    }

    /** {@code [<|startoftext|>] + encode(text) + [<|endoftext|>]}, untruncated. */
    public int[] encodeWithSpecials(String text) {
        List<Integer> ids = new ArrayList<>();
        ids.add(startId);
        for (int id : encode(text)) ids.add(id);
        ids.add(endId);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The {@link #CONTEXT_LENGTH} ids CLIP-L gets in Flux: start, text, end; over 77 the first 76 then the end token
     * ({@code clip.tokenize(truncate=True)}); padded with {@code pad} (the end token for Flux and SD1, 0 for SDXL's
     * CLIP-G).
     */
    public int[] tokenize(String text, int pad) {
        int[] ids = encodeWithSpecials(text);
        int[] out = new int[CONTEXT_LENGTH];
        Arrays.fill(out, pad);
        int n = Math.min(ids.length, CONTEXT_LENGTH);
        System.arraycopy(ids, 0, out, 0, n);
        out[n - 1] = endId;
        return out;
    }

    /** BPE ids of the cleaned text, without start and end tokens ({@code SimpleTokenizer.encode}). */
    public int[] encode(String text) {
        String cleaned = clean(text);
        List<Integer> ids = new ArrayList<>();
        Matcher m = SPLIT.matcher(cleaned);
        while (m.find()) {
            String token = m.group();
            for (int id : bpe(token)) ids.add(id);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** openai's {@code basic_clean} then {@code whitespace_clean}, lower-cased. */
    static String clean(String text) {
        String fixed = TextFixer.fixText(text);
        fixed = TextFixer.unescapeHtml(TextFixer.unescapeHtml(fixed));
        fixed = WHITESPACE.matcher(fixed).replaceAll(" ");
        return stripSpaces(fixed).toLowerCase(Locale.ROOT);
    }

    private static String stripSpaces(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && s.charAt(from) == ' ') from++;
        while (to > from && s.charAt(to - 1) == ' ') to--;
        return s.substring(from, to);
    }

    private int[] bpe(String token) {
        if (token.equals(START) || token.equals(END)) return new int[] {id(token)};
        return cache.computeIfAbsent(token, this::merge);
    }

    /** openai's {@code bpe()}: merge the lowest-ranked adjacent pair until none is in the merges. */
    private int[] merge(String token) {
        byte[] utf8 = token.getBytes(StandardCharsets.UTF_8);
        List<String> word = new ArrayList<>(utf8.length);
        for (byte b : utf8) word.add(String.valueOf(BYTE_TO_CHAR[b & 0xFF]));
        word.set(word.size() - 1, word.getLast() + "</w>");
        while (word.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer rank = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    first = word.get(i);
                    second = word.get(i + 1);
                }
            }
            if (first == null) break;
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); i++) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word = merged;
        }
        int[] ids = new int[word.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = encoder.get(word.get(i));
            if (id == null) {
                throw new IllegalStateException("CLIP vocabulary lacks the merged symbol '" + word.get(i) + "'");
            }
            ids[i] = id;
        }
        return ids;
    }
}
