package io.quanthub.gguf.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * SentencePiece's precompiled normalization map ({@code precompiled_charsmap}: nmt_nfkc for T5), applied as
 * llama.cpp's UGM tokenizer and sentencepiece's {@code Normalizer} apply it: at each position the longest input prefix
 * found in the map is replaced by its normalized form; elsewhere one UTF-8 character is copied (an invalid byte becomes
 * U+FFFD).
 *
 * <p>The blob is a little-endian uint32 giving the size in bytes of a Darts-clone double array (XOR-compressed,
 * uint32 units), followed by that array, followed by the replacement strings, each ended by a NUL byte.
 */
public final class CharsMap {
    private static final byte[] REPLACEMENT_CHARACTER = "\uFFFD".getBytes(StandardCharsets.UTF_8);

    private final int[] units;
    private final byte[] replacements;

    private CharsMap(int[] units, byte[] replacements) {
        this.units = units;
        this.replacements = replacements;
    }

    /** A map from its blob; an empty blob maps nothing (text is only checked for valid UTF-8). */
    public static CharsMap of(byte[] blob) {
        if (blob.length == 0) return new CharsMap(new int[0], new byte[0]);
        if (blob.length < 4) throw new IllegalArgumentException("precompiled_charsmap of " + blob.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
        long trieBytes = Integer.toUnsignedLong(b.getInt());
        if (trieBytes % 4 != 0 || trieBytes > blob.length - 4L) {
            throw new IllegalArgumentException("precompiled_charsmap: trie of " + trieBytes + " bytes in a blob of "
                    + blob.length);
        }
        int[] units = new int[(int) (trieBytes / 4)];
        for (int i = 0; i < units.length; i++) units[i] = b.getInt();
        byte[] replacements = new byte[blob.length - 4 - (int) trieBytes];
        b.get(replacements);
        return new CharsMap(units, replacements);
    }

    /** {@code text} (UTF-8) with every mapped prefix replaced, as UTF-8. */
    public byte[] normalize(byte[] text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length + 8);
        int pos = 0;
        while (pos < text.length) {
            long match = longestMatch(text, pos);
            if (match >= 0) {
                int length = (int) (match >>> 32);
                int offset = (int) match;
                int end = offset;
                while (end < replacements.length && replacements[end] != 0) end++;
                out.write(replacements, offset, end - offset);
                pos += length;
                continue;
            }
            int n = Utf8.validLength(text, pos);
            if (n == 0) {
                out.writeBytes(REPLACEMENT_CHARACTER);
                pos++;
            } else {
                out.write(text, pos, n);
                pos += n;
            }
        }
        return out.toByteArray();
    }

    /** (length << 32 | replacement offset) of the longest mapped prefix of {@code text[pos ..]}, or -1. */
    private long longestMatch(byte[] text, int pos) {
        if (units.length == 0) return -1;
        long best = -1;
        int node = base(0);
        for (int i = pos; i < text.length; i++) {
            int c = text[i] & 0xFF;
            if (c == 0) break;
            node ^= c;
            if (node < 0 || node >= units.length || labelCheck(units[node]) != c) break;
            boolean leaf = ((units[node] >>> 8) & 1) != 0;
            node ^= base(node);
            if (node < 0 || node >= units.length) break;
            if (leaf) {
                int value = units[node] & 0x7FFFFFFF;
                if (value >= replacements.length) {
                    throw new IllegalArgumentException("precompiled_charsmap points past its strings: " + value);
                }
                best = ((long) (i - pos + 1) << 32) | value;
            }
        }
        return best;
    }

    private int base(int index) {
        int unit = units[index];
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }

    private static int labelCheck(int unit) {
        return unit & (0x80000000 | 0xFF);
    }
}
