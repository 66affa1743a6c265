package io.quanthub.gguf.convert;

import io.quanthub.gguf.json.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a conversion needs besides the tensors, for the architectures llama.cpp's converter makes (a text encoder):
 * the Hugging Face {@code tokenizer.json}, whose vocabulary goes into the GGUF, the model's {@code config.json} (its
 * hyper-parameters are otherwise read from the tensor shapes) and the {@code general.name} to write. Diffusion models
 * need none of them.
 *
 * @param modelName     {@code general.name}
 * @param tokenizerJson the text of tokenizer.json, or null
 * @param config        the parsed config.json, or an empty map
 */
public record ConversionInputs(String modelName, String tokenizerJson, Map<String, Object> config) {
    public static final ConversionInputs NONE = new ConversionInputs(null, null, Map.of());
    /** Where a tokenizer is looked for next to a model file, in this order (ComfyUI ships T5's as t5_tokenizer/). */
    public static final List<String> TOKENIZER_PLACES = List.of("tokenizer.json", "t5_tokenizer/tokenizer.json",
            "tokenizer/tokenizer.json");

    public ConversionInputs {
        config = Map.copyOf(config);
    }

    /**
     * The inputs found next to a model file: the first of {@link #TOKENIZER_PLACES} that exists (unless
     * {@code tokenizer} names one), {@code config.json} when present, and the file's stem as the name.
     */
    public static ConversionInputs besides(Path model, Path tokenizer, String name) throws IOException {
        Path dir = model.toAbsolutePath().normalize().getParent();
        Path found = tokenizer;
        if (found == null && dir != null) {
            found = TOKENIZER_PLACES.stream().map(dir::resolve).filter(Files::isRegularFile).findFirst().orElse(null);
        }
        String tokenizerJson = found == null ? null : Files.readString(found, StandardCharsets.UTF_8);
        Path configFile = dir == null ? null : dir.resolve("config.json");
        Map<String, Object> config = configFile != null && Files.isRegularFile(configFile)
                ? parseConfig(Files.readString(configFile, StandardCharsets.UTF_8)) : Map.of();
        return new ConversionInputs(name != null ? name : stem(model), tokenizerJson, config);
    }

    /** A config.json's object; anything else (e.g. a dataset's config of another shape) counts as no config. */
    static Map<String, Object> parseConfig(String text) {
        try {
            return Json.parseObject(text);
        } catch (Json.JsonException e) {
            throw new ConversionException("config.json is not valid JSON: " + e.getMessage());
        }
    }

    private static String stem(Path model) {
        String name = model.toAbsolutePath().normalize().getFileName().toString();
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
