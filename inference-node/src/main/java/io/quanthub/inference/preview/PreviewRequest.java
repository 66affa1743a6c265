package io.quanthub.inference.preview;

import io.quanthub.storage.Digest;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One preview to render. Every file is named by its blob digest ({@code sha256:<hex>}), so any inference node can
 * fetch exactly these bytes from the bucket; the repository, commit and quant say where it came from.
 *
 * @param repo               {@code org/name}
 * @param commit             the commit the files were resolved at
 * @param quant              the quant level ({@code Q4_K_M}...); for the reference, the source's dtype ({@code BF16})
 * @param model              the transformer: a GGUF variant, or the full-precision source for the reference
 * @param source             the full-precision (F16/BF16/F32) transformer this preview is compared with; equal to
 *                           {@code model} for the reference itself, null when the model has none
 * @param vae                the VAE decoder (safetensors with BFL's {@code decoder.*} names)
 * @param conditioning       the conditioning set's name ({@code conditioning/<name>.safetensors} in the repository),
 *                           or null for a prompt
 * @param conditioningDigest that file's blob, or null for a prompt
 * @param prompt             the prompt and the text encoders that encode it, or null for a conditioning set
 * @param textEncoders       the text encoders the model uses (role, e.g. {@code t5xxl}, to blob digest), as its
 *                           repository names them when the preview is asked for; empty when it names none. A record
 *                           of what the preview was made with, not part of {@link #jobId()} (a prompt's encoders are
 *                           in {@code prompt}; a conditioning set is already encoded).
 */
public record PreviewRequest(String repo, String commit, String quant, String model, String source, String vae,
                             String conditioning, String conditioningDigest, long seed, int steps, int width,
                             int height, Prompt prompt, Map<String, String> textEncoders, Sizes sizes)
        implements Serializable {
    /**
     * A prompt, encoded on the node by the repository's text encoders (each a blob digest).
     *
     * @param text     the prompt
     * @param clip     CLIP-L text model (safetensors, HF names): Flux's {@code y} is its pooled state
     * @param t5       T5 v1.1 encoder (safetensors or GGUF): Flux's {@code txt} is its states
     * @param t5Length the T5 padded length (512 for Flux dev, 256 for schnell)
     */
    public record Prompt(String text, String clip, String t5, int t5Length) implements Serializable {
        public Prompt {
            Objects.requireNonNull(text, "text");
            Digest.parse(clip);
            Digest.parse(t5);
            if (t5Length < 1) throw new IllegalArgumentException("T5 length must be positive, not " + t5Length);
        }
    }

    /**
     * The bytes of the weights a preview loads, as the hub's blob records give them.
     *
     * @param model        the transformer ({@code model})
     * @param source       the full-precision transformer ({@code source}); 0 without one
     * @param vae          the VAE decoder
     * @param textEncoders the text encoders the node runs: the prompt's CLIP and T5; 0 for a conditioning set
     */
    public record Sizes(long model, long source, long vae, long textEncoders) implements Serializable {
        public Sizes {
            if (model < 0 || source < 0 || vae < 0 || textEncoders < 0) {
                throw new IllegalArgumentException("file sizes cannot be negative");
            }
            Math.addExact(Math.addExact(Math.addExact(model, source), vae), textEncoders); // no sum that wraps
        }
    }

    /**
     * Changes whenever the same inputs would render different pixels (sampler, decoder, noise): part of every job
     * id, so a new engine never reuses an old engine's images.
     */
    public static final String ENGINE = "flux-preview-1";
    /** Distilled guidance for models with {@code guidance_in} (the request has no guidance field). */
    public static final float GUIDANCE = 3.5f;

    public PreviewRequest {
        Objects.requireNonNull(repo, "repo");
        Objects.requireNonNull(quant, "quant");
        if ((prompt == null) == (conditioning == null)) {
            throw new IllegalArgumentException("a preview takes a prompt or a conditioning set, exactly one");
        }
        Digest.parse(model);
        Digest.parse(vae);
        if (conditioning != null) Digest.parse(conditioningDigest);
        if (source != null) Digest.parse(source);
        textEncoders = textEncoders == null ? Map.of() : Map.copyOf(new TreeMap<>(textEncoders));
        textEncoders.values().forEach(Digest::parse);
    }

    /** A preview whose file sizes are not known (it fits any node). */
    public PreviewRequest(String repo, String commit, String quant, String model, String source, String vae,
                          String conditioning, String conditioningDigest, long seed, int steps, int width,
                          int height, Prompt prompt, Map<String, String> textEncoders) {
        this(repo, commit, quant, model, source, vae, conditioning, conditioningDigest, seed, steps, width, height,
                prompt, textEncoders, null);
    }

    /** A preview of a conditioning set, of a model that names no text encoders. */
    public PreviewRequest(String repo, String commit, String quant, String model, String source, String vae,
                          String conditioning, String conditioningDigest, long seed, int steps, int width,
                          int height) {
        this(repo, commit, quant, model, source, vae, conditioning, conditioningDigest, seed, steps, width, height,
                null, Map.of(), null);
    }

    /** True for the preview that previews of the same settings from quants of its model are compared with. */
    public boolean isReference() {
        return model.equals(source);
    }

    /** True when there is a reference to compare with. */
    public boolean compared() {
        return source != null && !isReference();
    }

    /** The reference for this preview: the same settings rendered from the source, labelled {@code dtype}. */
    public PreviewRequest reference(String dtype) {
        if (source == null) throw new IllegalStateException("preview of " + quant + " has no source to compare with");
        return new PreviewRequest(repo, commit, dtype, source, source, vae, conditioning, conditioningDigest, seed,
                steps, width, height, prompt, textEncoders,
                sizes == null ? null : new Sizes(sizes.source(), sizes.source(), sizes.vae(), sizes.textEncoders()));
    }

    /**
     * The device memory rendering it needs: its transformer, VAE and text encoders by {@link DeviceMemory}'s rule,
     * the hub's VRAM estimate with text encoders and VAE; 0 when the sizes are not known. A node claims only jobs
     * that fit its device.
     */
    public long memoryBytes() {
        return sizes == null ? 0 : DeviceMemory.forWeights(sizes.model() + sizes.vae() + sizes.textEncoders());
    }

    /**
     * The job id: a hash of the repository and everything that determines the result (the engine, the files, the
     * source it is compared with, the parameters), so the same preview asked for twice, from any member, is one job.
     * The repository is part of it so that a job belongs to one repository, and shows only to callers who may see
     * that repository: two repositories holding the same files get a job each (the same PNG, stored once).
     */
    public String jobId() {
        String canonical = String.join("\n", ENGINE, repo, model, Objects.toString(source, "-"), vae,
                prompt == null ? conditioningDigest : "prompt", Long.toString(seed), Integer.toString(steps),
                Integer.toString(width), Integer.toString(height));
        // The prompt's text comes last: it may hold line breaks, and no field follows it to be confused with.
        if (prompt != null) {
            canonical += "\n" + String.join("\n", prompt.clip(), prompt.t5(), Integer.toString(prompt.t5Length()),
                    prompt.text());
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return "preview-" + HexFormat.of().formatHex(hash, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "preview of " + repo + " " + quant + " (" + (prompt == null ? conditioning : "a prompt") + ", seed "
                + seed + ", " + steps + " steps, "
                + width + "x" + height + ")";
    }
}
