package io.quanthub.hub;

import io.quanthub.storage.Blob;
import io.quanthub.storage.Commit;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The text encoders a repository's prompt previews use: files of the same commit, found by the names Flux users give
 * them (ComfyUI's {@code clip_l.safetensors} and {@code t5xxl_fp16.safetensors} / {@code t5xxl_fp8_e4m3fn.safetensors},
 * city96's {@code t5-v1_1-xxl-encoder-Q8_0.gguf}), at the top level or in {@code text_encoders/}. The first match in
 * path order wins.
 *
 * @param clip CLIP-L text model (safetensors, HF names)
 * @param t5   T5 v1.1 encoder (safetensors with HF names, or GGUF with llama.cpp's)
 */
record TextEncoderFiles(Blob clip, Blob t5) {
    static final String DESCRIPTION = "text_encoders/clip_l.safetensors and text_encoders/t5xxl_fp16.safetensors (or a "
            + "t5*.gguf; the top level works too)";
    private static final Pattern CLIP = Pattern.compile("(text_encoders/)?clip_l[^/]*\\.safetensors");
    private static final Pattern T5 = Pattern.compile("(text_encoders/)?t5[^/]*\\.(safetensors|gguf)");

    static Optional<TextEncoderFiles> of(Commit commit) {
        Optional<Blob> clip = first(commit, CLIP);
        Optional<Blob> t5 = first(commit, T5);
        if (clip.isEmpty() || t5.isEmpty()) return Optional.empty();
        return Optional.of(new TextEncoderFiles(clip.get(), t5.get()));
    }

    private static Optional<Blob> first(Commit commit, Pattern pattern) {
        for (Map.Entry<String, Blob> e : commit.files().entrySet()) {
            if (pattern.matcher(e.getKey()).matches()) return Optional.of(e.getValue());
        }
        return Optional.empty();
    }
}
