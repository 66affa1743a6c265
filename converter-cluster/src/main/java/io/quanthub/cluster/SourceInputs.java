package io.quanthub.cluster;

import io.quanthub.gguf.convert.ConversionException;
import io.quanthub.gguf.convert.ConversionInputs;
import io.quanthub.storage.Blob;
import io.quanthub.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * The {@link ConversionInputs} of a text encoder stored in a repository: the tokenizer.json and config.json next to
 * its safetensors file in the same commit (the places {@link ConversionInputs#TOKENIZER_PLACES} lists, relative to the
 * file's folder), and the file's stem as {@code general.name}. The hub's quant table and the converter cluster both
 * read them this way, so the planned sizes and the produced files agree.
 */
public final class SourceInputs {
    /** The largest tokenizer or config read; T5's tokenizer.json is 2.4 MB. */
    static final long MAX_SIDE_FILE = 32L << 20;

    private SourceInputs() {
    }

    /** The tokenizer file of the model at {@code sourcePath} in a commit's files, if any: what {@link #of} reads. */
    public static Optional<Map.Entry<String, Blob>> tokenizer(Map<String, Blob> files, String sourcePath) {
        String dir = folderOf(sourcePath);
        for (String place : ConversionInputs.TOKENIZER_PLACES) {
            Blob blob = files.get(dir + place);
            if (blob != null) return Optional.of(Map.entry(dir + place, blob));
        }
        return Optional.empty();
    }

    /** Reads the inputs of the model at {@code sourcePath} among a commit's {@code files}. */
    public static ConversionInputs of(BlobStore blobs, Map<String, Blob> files, String sourcePath) throws IOException {
        String tokenizer = null;
        Optional<Map.Entry<String, Blob>> found = tokenizer(files, sourcePath);
        if (found.isPresent()) tokenizer = text(blobs, found.get().getKey(), found.get().getValue());
        Blob configBlob = files.get(folderOf(sourcePath) + "config.json");
        Map<String, Object> config = Map.of();
        if (configBlob != null) {
            try {
                config = io.quanthub.gguf.json.Json.parseObject(text(blobs, "config.json", configBlob));
            } catch (IllegalArgumentException notAnObject) {
                // Not a Hugging Face config (or not JSON): the hyper-parameters come from the tensor shapes.
            }
        }
        return new ConversionInputs(stem(sourcePath), tokenizer, config);
    }

    private static String text(BlobStore blobs, String path, Blob blob) throws IOException {
        if (blob.size() > MAX_SIDE_FILE) {
            throw new ConversionException(path + " is " + blob.size() + " bytes; at most " + MAX_SIDE_FILE
                    + " are read");
        }
        try (InputStream in = blobs.open(blob.digest())) {
            return new String(in.readNBytes((int) blob.size()), StandardCharsets.UTF_8);
        }
    }

    private static String folderOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash + 1);
    }

    private static String stem(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
