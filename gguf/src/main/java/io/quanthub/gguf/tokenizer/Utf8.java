package io.quanthub.gguf.tokenizer;

/** UTF-8 sequence lengths, as llama.cpp's {@code unicode_cpt_from_utf8} accepts them. */
final class Utf8 {
    private Utf8() {
    }

    /** The length of the valid UTF-8 sequence starting at {@code text[pos]}, or 0 when it is not one. */
    static int validLength(byte[] text, int pos) {
        int b = text[pos] & 0xFF;
        int n;
        if (b < 0x80) return 1;
        else if ((b & 0xE0) == 0xC0) n = 2;
        else if ((b & 0xF0) == 0xE0) n = 3;
        else if ((b & 0xF8) == 0xF0) n = 4;
        else return 0;
        if (pos + n > text.length) return 0;
        for (int i = 1; i < n; i++) {
            if ((text[pos + i] & 0xC0) != 0x80) return 0;
        }
        return n;
    }

    /** The length of the sequence a lead byte announces (1 for a stray continuation byte), as llama.cpp counts. */
    static int lengthOf(byte lead) {
        int high = (lead & 0xFF) >>> 4;
        return high < 12 ? 1 : high < 14 ? 2 : high == 14 ? 3 : 4;
    }
}
