package io.quanthub.gguf.safetensors;

import io.quanthub.gguf.json.Json;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

/**
 * A model stored in one or more safetensors files: a single {@code .safetensors} file, a Hugging Face shard index
 * ({@code *.safetensors.index.json}, whose {@code weight_map} names the shard of each tensor), or a directory of
 * shards (its one index if it has one, else every {@code *.safetensors} file in name order).
 *
 * <p>Tensors are listed shard by shard, each shard in data order. A tensor name may appear in one shard only. Shard
 * names in an index must be plain file names in the index's directory (an untrusted index cannot point elsewhere).
 */
public final class SafetensorsModel implements AutoCloseable {
    public static final String INDEX_SUFFIX = ".safetensors.index.json";

    private final List<SafetensorsFile> shards;
    private final List<SafetensorsTensor> tensors;
    private final Map<String, SafetensorsFile> shardOf;
    private final SequencedMap<String, String> metadata;

    private SafetensorsModel(List<SafetensorsFile> shards, List<SafetensorsTensor> tensors,
                             Map<String, SafetensorsFile> shardOf, SequencedMap<String, String> metadata) {
        this.shards = List.copyOf(shards);
        this.tensors = List.copyOf(tensors);
        this.shardOf = shardOf;
        this.metadata = Collections.unmodifiableSequencedMap(metadata);
    }

    /** Opens a .safetensors file, a *.safetensors.index.json or a directory of shards. */
    public static SafetensorsModel open(Path path) throws IOException {
        if (Files.isDirectory(path)) return openDirectory(path);
        if (path.getFileName().toString().endsWith(INDEX_SUFFIX)) return openIndex(path);
        return of(List.of(path), Map.of());
    }

    private static SafetensorsModel openDirectory(Path dir) throws IOException {
        List<Path> indexes = list(dir, "*" + INDEX_SUFFIX);
        if (indexes.size() > 1) {
            throw new SafetensorsFormatException(dir + " holds several shard indexes " + names(indexes)
                    + "; pass the one to use");
        }
        if (indexes.size() == 1) return openIndex(indexes.getFirst());
        List<Path> files = list(dir, "*.safetensors");
        if (files.isEmpty()) throw new SafetensorsFormatException(dir + " holds no .safetensors files");
        return of(files, Map.of());
    }

    private static SafetensorsModel openIndex(Path index) throws IOException {
        String name = index.getFileName().toString();
        if (Files.size(index) > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(name + ": index is larger than " + SafetensorsFile.MAX_HEADER_BYTES
                    + " bytes");
        }
        Map<String, Object> json;
        try {
            json = Json.parseObject(Files.readString(index));
        } catch (Json.JsonException | java.nio.charset.MalformedInputException e) {
            throw new SafetensorsFormatException(name + ": " + e.getMessage());
        }
        if (!(json.get("weight_map") instanceof Map<?, ?> weightMap)) {
            throw new SafetensorsFormatException(name + ": no \"weight_map\" object");
        }
        Set<String> shardNames = new LinkedHashSet<>();
        Map<String, String> expected = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : weightMap.entrySet()) {
            if (!(e.getValue() instanceof String shard)) {
                throw new SafetensorsFormatException(name + ": weight_map entry '" + e.getKey() + "' is "
                        + Json.kind(e.getValue()) + ", expected a shard file name");
            }
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals(".")
                    || shard.equals("..")) {
                throw new SafetensorsFormatException(name + ": shard name '" + shard
                        + "' is not a plain file name next to the index");
            }
            shardNames.add(shard);
            expected.put((String) e.getKey(), shard);
        }
        if (shardNames.isEmpty()) throw new SafetensorsFormatException(name + ": weight_map is empty");
        Path dir = index.toAbsolutePath().getParent();
        List<Path> files = shardNames.stream().sorted().map(dir::resolve).toList();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new SafetensorsFormatException(name + ": shard " + f.getFileName() + " does not exist");
            }
        }
        Map<String, String> indexMetadata = new LinkedHashMap<>();
        if (json.get("metadata") instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) indexMetadata.put((String) e.getKey(), String.valueOf(e.getValue()));
        }
        SafetensorsModel model = of(files, indexMetadata);
        for (Map.Entry<String, String> e : expected.entrySet()) {
            SafetensorsFile shard = model.shardOf.get(e.getKey());
            if (shard == null || !shard.path().getFileName().toString().equals(e.getValue())) {
                model.close();
                throw new SafetensorsFormatException(name + ": the index puts tensor '" + e.getKey() + "' in "
                        + e.getValue() + " but that shard does not hold it");
            }
        }
        return model;
    }

    /** Opens the shards in order and merges them; shard {@code __metadata__} first, then the index's metadata. */
    private static SafetensorsModel of(List<Path> files, Map<String, String> indexMetadata) throws IOException {
        List<SafetensorsFile> shards = new ArrayList<>();
        try {
            List<SafetensorsTensor> tensors = new ArrayList<>();
            Map<String, SafetensorsFile> shardOf = new HashMap<>();
            SequencedMap<String, String> metadata = new LinkedHashMap<>();
            for (Path f : files) {
                SafetensorsFile shard = SafetensorsFile.open(f);
                shards.add(shard);
                for (SafetensorsTensor t : shard.tensors()) {
                    SafetensorsFile other = shardOf.putIfAbsent(t.name(), shard);
                    if (other != null) {
                        throw new SafetensorsFormatException("tensor '" + t.name() + "' is in both "
                                + other.path().getFileName() + " and " + f.getFileName());
                    }
                    tensors.add(t);
                }
                shard.metadata().forEach(metadata::putIfAbsent);
            }
            indexMetadata.forEach(metadata::putIfAbsent);
            return new SafetensorsModel(shards, tensors, shardOf, metadata);
        } catch (IOException | RuntimeException e) {
            shards.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static List<Path> list(Path dir, String glob) throws IOException {
        List<Path> result = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, glob)) {
            for (Path p : stream) {
                if (Files.isRegularFile(p)) result.add(p);
            }
        }
        result.sort(null);
        return result;
    }

    private static String names(List<Path> paths) {
        return paths.stream().map(p -> p.getFileName().toString()).toList().toString();
    }

    public List<SafetensorsFile> shards() {
        return shards;
    }

    /** All tensors, shard by shard, each shard in data order. */
    public List<SafetensorsTensor> tensors() {
        return tensors;
    }

    /** Merged metadata: every shard's {@code __metadata__} (first wins), then the index's {@code metadata}. */
    public SequencedMap<String, String> metadata() {
        return metadata;
    }

    /** The tensor's bytes, from the shard that holds it. */
    public MemorySegment data(SafetensorsTensor tensor) {
        SafetensorsFile shard = shardOf.get(tensor.name());
        if (shard == null) throw new IllegalArgumentException("tensor " + tensor + " is not in this model");
        return shard.data(tensor);
    }

    /** Total bytes of all shard files. */
    public long fileSize() {
        return shards.stream().mapToLong(SafetensorsFile::fileSize).sum();
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}
