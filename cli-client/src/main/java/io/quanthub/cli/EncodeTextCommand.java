package io.quanthub.cli;

import io.quanthub.gguf.json.Json;
import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.io.AtomicFile;
import io.quanthub.inference.text.ClipTextModel;
import io.quanthub.inference.text.TextEncoders;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code quanthub debug encode-text}: Flux's text conditioning (CLIP-L and T5) of one prompt or a list, with the token
 * ids, for comparison with the reference implementations.
 */
@Command(name = "encode-text", mixinStandardHelpOptions = true,
        description = "Encode prompts with CLIP-L and T5 on the CPU; writes token ids and states as safetensors.")
final class EncodeTextCommand implements Callable<Integer> {
    @Option(names = "--clip", required = true, paramLabel = "FILE",
            description = "CLIP-L text model: safetensors with HF names (F32, F16, BF16, F8_E4M3, F8_E5M2).")
    Path clip;

    @Option(names = "--clip-vocab", paramLabel = "FILE",
            description = "openai's bpe_simple_vocab_16e6.txt.gz or HF vocab.json (+ merges.txt); default: openai's.")
    Path clipVocab;

    @Option(names = "--t5", required = true, paramLabel = "FILE",
            description = "T5 v1.1 encoder: safetensors with HF names, or GGUF with llama.cpp names (any quant).")
    Path t5;

    @Option(names = "--t5-tokenizer", paramLabel = "FILE",
            description = "HF tokenizer.json; default: the GGUF's own, else T5 v1.1's.")
    Path t5Tokenizer;

    static final class Prompts {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "One prompt.")
        String prompt;

        @Option(names = "--prompts", paramLabel = "FILE.json",
                description = "A JSON list of {\"key\", \"text\"} (or an object with such a \"prompts\" list);"
                        + " tensor names get the prefix KEY.")
        Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompts prompts;

    @Option(names = "--t5-length", defaultValue = "512", paramLabel = "N",
            description = "T5 padded length: 512 for Flux dev, 256 for schnell (default: 512).")
    int t5Length;

    @Option(names = "--out", required = true, paramLabel = "OUT.safetensors", description = "File to write.")
    Path out;

    @Spec
    CommandSpec spec;

    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws IOException {
        if (t5Length < 1) throw new IllegalArgumentException("--t5-length must be at least 1, got " + t5Length);
        Map<String, String> texts = prompts.prompt != null ? Map.of("", prompts.prompt) : readPrompts(prompts.file);
        SafetensorsWriter result = new SafetensorsWriter();
        ComputeBackend b = backend.create();
        try (TextEncoders encoders = TextEncoders.open(clip, clipVocab, t5, t5Tokenizer, b)) {
            BackendOption.announce(b, spec.commandLine().getErr());
            for (Map.Entry<String, String> e : texts.entrySet()) {
                String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
                write(result, prefix, encoders, e.getValue());
            }
        }
        AtomicFile.write(out, result.bytes());
        spec.commandLine().getOut().println("wrote " + out + " (" + texts.size() + " prompt"
                + (texts.size() == 1 ? "" : "s") + ")");
        return 0;
    }

    private void write(SafetensorsWriter w, String prefix, TextEncoders encoders, String text) {
        ClipTextModel.Output c = encoders.encodeClip(text);
        long tokens = c.ids().length;
        long hidden = c.hidden();
        w.addI32(prefix + "clip.ids", new long[] {tokens}, c.ids());
        w.addF32(prefix + "clip.last_hidden_state", new long[] {tokens, hidden}, c.lastHiddenState());
        w.addF32(prefix + "clip.penultimate", new long[] {tokens, hidden}, c.penultimate());
        w.addF32(prefix + "clip.pooled", new long[] {hidden}, c.pooled());
        long d = encoders.t5().dModel();
        int[] ids = encoders.t5Ids(text);
        w.addI32(prefix + "t5.ids", new long[] {ids.length}, ids);
        w.addF32(prefix + "t5.states", new long[] {ids.length, d}, encoders.t5().encode(ids));
        int[] padded = encoders.t5IdsPadded(text, t5Length);
        w.addI32(prefix + "t5.ids_padded", new long[] {t5Length}, padded);
        w.addF32(prefix + "t5.states_padded", new long[] {t5Length, d}, encoders.t5().encode(padded));
    }

    /** key to text, in file order; keys must be unique and non-empty. */
    @SuppressWarnings("unchecked")
    static Map<String, String> readPrompts(Path file) throws IOException {
        Object root = Json.parse(Files.readString(file));
        if (root instanceof Map<?, ?> m && m.get("prompts") instanceof List<?> list) root = list;
        if (!(root instanceof List<?> entries)) {
            throw new IllegalArgumentException(file + ": expected a JSON list of {\"key\", \"text\"} objects");
        }
        Map<String, String> texts = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            if (!(entries.get(i) instanceof Map<?, ?> entry) || !(entry.get("key") instanceof String key)
                    || !(entry.get("text") instanceof String text) || key.isEmpty()) {
                throw new IllegalArgumentException(file + ": entry " + i + " needs a non-empty \"key\" and a \"text\"");
            }
            if (!seen.add(key)) throw new IllegalArgumentException(file + ": key '" + key + "' appears twice");
            texts.put(key, text);
        }
        return texts;
    }
}
