package io.quanthub.hub;

import io.quanthub.gguf.ByteRanges;
import io.quanthub.gguf.GgmlType;
import io.quanthub.cluster.SourceInputs;
import io.quanthub.gguf.convert.Architecture;
import io.quanthub.gguf.convert.ConversionException;
import io.quanthub.gguf.convert.ConversionInputs;
import io.quanthub.gguf.convert.ConversionPlan;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.format.GgufFormatException;
import io.quanthub.gguf.format.GgufHeader;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.model.SourceTensor;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsFormatException;
import io.quanthub.gguf.safetensors.SafetensorsHeader;
import io.quanthub.storage.Blob;
import io.quanthub.storage.BlobStore;
import io.quanthub.storage.Commit;
import io.quanthub.storage.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the hub knows about the model files of a commit, read from their headers by byte range (never the whole
 * file): the GGUF files with their quant level, the safetensors source with the size of every quant level the
 * converter would make from it, the architecture and the parameter count. Blobs and commits never change, so every
 * result is cached by digest or commit id.
 *
 * <p>All methods block on storage: call them from worker threads.
 */
final class ModelCatalog {
    /** The first range read of a header; a diffusion model's GGUF header is a few KiB to a few hundred KiB. */
    static final int FIRST_READ = 1 << 20;
    /** GGUF headers of LLMs carry tokenizers of a few MiB; beyond this the file is refused. */
    static final int MAX_GGUF_HEADER = 64 << 20;

    /** A GGUF file of a commit. {@code level} is null when neither its file type nor its tensors tell. */
    record GgufModel(String path, Blob blob, GgufHeader header, QuantLevel level, String architecture) {
        long parameters() {
            return header.tensors().stream().mapToLong(TensorInfo::elementCount).sum();
        }

        long tensorBytes() {
            return header.tensors().stream().mapToLong(TensorInfo::byteSize).sum();
        }

        /** Tensor bytes per parameter, in bits, over the whole file. */
        double bitsPerWeight() {
            long n = parameters();
            return n == 0 ? 0 : tensorBytes() * 8.0 / n;
        }
    }

    /** A level's output as the converter would make it from the source: exact file size and bits per weight. */
    record Planned(long size, double bitsPerWeight) {}

    /**
     * The safetensors file the quant levels are made from; {@code dtype} is the element type holding most of its
     * parameters (Flux is released in BF16), what its previews are rendered from.
     */
    record SourceModel(String path, Blob blob, Dtype dtype, String architecture, long parameters,
                       Map<QuantLevel, Planned> planned) {}

    /**
     * The model files of a commit.
     *
     * @param source       the safetensors source, or null when the commit has none the converter accepts
     * @param ggufs        the valid GGUF files, in path order
     * @param architecture {@code general.architecture} of the source or the first GGUF; null when unknown
     * @param parameters   parameters of the source, else of the largest GGUF; null without model files
     */
    record ModelFacts(SourceModel source, List<GgufModel> ggufs, String architecture, Long parameters) {
        /** The digest quant variants of this model are registered under. */
        Optional<Digest> sourceDigest() {
            return Optional.ofNullable(source).map(s -> s.blob().digest());
        }
    }

    private final BlobStore blobs;
    private final Map<Digest, GgufHeader> ggufHeaders = lru(512);
    /** Planned sources by blob digest, path and tokenizer digest. */
    private final Map<String, Optional<SourceModel>> sources = lru(256);
    private final Map<String, ModelFacts> facts = lru(1024);

    ModelCatalog(BlobStore blobs) {
        this.blobs = blobs;
    }

    /** A thread-safe map that forgets its least recently used entries past {@code capacity}. */
    static <K, V> Map<K, V> lru(int capacity) {
        return Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        });
    }

    static boolean isGguf(String path) {
        return path.toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    static boolean isSafetensors(String path) {
        return path.toLowerCase(Locale.ROOT).endsWith(".safetensors");
    }

    /** Reads ranges of a stored blob. */
    private ByteRanges ranges(Blob blob) {
        return (offset, length) -> {
            try (InputStream in = blobs.open(blob.digest(), offset, length)) {
                byte[] bytes = in.readNBytes(length);
                if (bytes.length != length) {
                    throw new IOException("blob " + blob.digest() + " ended at " + (offset + bytes.length)
                            + " bytes, " + blob.size() + " expected");
                }
                return bytes;
            }
        };
    }

    /** The header of a stored GGUF file. */
    GgufHeader ggufHeader(Blob blob) throws IOException {
        GgufHeader known = ggufHeaders.get(blob.digest());
        if (known != null) return known;
        GgufHeader header = GgufHeader.read(ranges(blob), blob.size(), FIRST_READ, MAX_GGUF_HEADER);
        ggufHeaders.put(blob.digest(), header);
        return header;
    }

    /** The GGUF file at {@code path}, or a 422 naming why it is not a valid GGUF file. */
    GgufModel gguf(String path, Blob blob) {
        try {
            GgufHeader header = ggufHeader(blob);
            return new GgufModel(path, blob, header, levelOf(header), architectureOf(header));
        } catch (GgufFormatException e) {
            throw new ApiException(422, path + " is not a valid GGUF file: " + e.getMessage());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path + " from storage: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that the file at {@code path} is valid safetensors (its header parses); a 422 with the parser's message
     * otherwise, so a broken upload is named when it is committed, not later as "no model".
     */
    void safetensors(String path, Blob blob) {
        try {
            SafetensorsHeader.read(path, ranges(blob), blob.size());
        } catch (SafetensorsFormatException e) {
            throw new ApiException(422, path + " is not a valid safetensors file: " + e.getMessage());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path + " from storage: " + e.getMessage(), e);
        }
    }

    /**
     * A safetensors file of the commit that is a text encoder llama.cpp's tool chain converts but has no tokenizer
     * next to it (so no level can be planned), if any: to say what is missing.
     */
    Optional<String> textEncoderWithoutTokenizer(Commit commit) {
        for (Map.Entry<String, Blob> file : commit.files().entrySet()) {
            String path = file.getKey();
            if (!isSafetensors(path) || SourceInputs.tokenizer(commit.files(), path).isPresent()) continue;
            try {
                SafetensorsHeader header = SafetensorsHeader.read(path, ranges(file.getValue()), file.getValue().size());
                if (Architecture.isLlamaCppModel(header.tensors().stream().map(t -> t.name()).toList())) {
                    return Optional.of(path);
                }
            } catch (SafetensorsFormatException e) {
                // Named by requireValidSafetensors.
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + path + " from storage: " + e.getMessage(), e);
            }
        }
        return Optional.empty();
    }

    /** {@link #safetensors} for every safetensors file of a commit (ones committed before commits checked them). */
    void requireValidSafetensors(Commit commit) {
        commit.files().forEach((path, blob) -> {
            if (isSafetensors(path)) safetensors(path, blob);
        });
    }

    /** The model files of a commit. */
    ModelFacts facts(Commit commit) {
        ModelFacts known = facts.get(commit.id());
        if (known != null) return known;
        List<GgufModel> ggufs = new ArrayList<>();
        SourceModel source = null;
        for (Map.Entry<String, Blob> file : commit.files().entrySet()) {
            String path = file.getKey();
            if (isGguf(path)) {
                try {
                    ggufs.add(gguf(path, file.getValue()));
                } catch (ApiException invalid) {
                    // Committed before validation or by other means: not a model file the catalog can describe.
                }
            } else if (isSafetensors(path)) {
                SourceModel candidate = source(path, file.getValue(), commit).orElse(null);
                if (candidate != null && (source == null || candidate.parameters() > source.parameters())) {
                    source = candidate;
                }
            }
        }
        String architecture = source != null ? source.architecture()
                : ggufs.stream().map(GgufModel::architecture).filter(a -> a != null).findFirst().orElse(null);
        Long parameters = source != null ? Long.valueOf(source.parameters())
                : ggufs.stream().map(GgufModel::parameters).max(Long::compare).orElse(null);
        ModelFacts result = new ModelFacts(source, List.copyOf(ggufs), architecture, parameters);
        facts.put(commit.id(), result);
        return result;
    }

    /**
     * A safetensors file as a conversion source: every level planned from its tensor table. Empty when it is not a
     * model the converter accepts (a VAE, a CLIP text encoder, a T5 without its tokenizer.json, a diffusers layout) or
     * not valid safetensors.
     */
    private Optional<SourceModel> source(String path, Blob blob, Commit commit) {
        // A text encoder's plan also depends on its tokenizer (and name, from the path): part of the key.
        String key = blob.digest() + " " + path + " " + SourceInputs.tokenizer(commit.files(), path)
                .map(t -> t.getValue().digest().toString()).orElse("");
        Optional<SourceModel> known = sources.get(key);
        if (known != null) return known;
        Optional<SourceModel> result = planSource(path, blob, commit);
        sources.put(key, result);
        return result;
    }

    private Optional<SourceModel> planSource(String path, Blob blob, Commit commit) {
        SafetensorsHeader header;
        try {
            header = SafetensorsHeader.read(path, ranges(blob), blob.size());
        } catch (SafetensorsFormatException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path + " from storage: " + e.getMessage(), e);
        }
        List<SourceTensor> tensors = header.tensors().stream()
                .<SourceTensor>map(t -> new HeaderTensor(t.name(), t.shape(), t.dtype())).toList();
        ConversionInputs inputs = ConversionInputs.NONE;
        if (Architecture.isLlamaCppModel(tensors.stream().map(SourceTensor::name).toList())) {
            try {
                inputs = SourceInputs.of(blobs, commit.files(), path);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the tokenizer of " + path + " from storage: "
                        + e.getMessage(), e);
            }
        }
        Map<QuantLevel, Planned> planned = new EnumMap<>(QuantLevel.class);
        String architecture = null;
        long parameters = 0;
        for (QuantLevel level : QuantLevel.values()) {
            try {
                ConversionPlan plan = ConversionPlan.of(tensors, Map.of(), level, inputs);
                long elements = plan.elementCount();
                planned.put(level, new Planned(plan.layout().fileSize(),
                        elements == 0 ? 0 : plan.dataBytes() * 8.0 / elements));
                architecture = plan.architecture().ggufName;
                parameters = elements;
            } catch (ConversionException e) {
                // Not convertible to this level (or at all: then nothing is planned).
            }
        }
        if (planned.isEmpty()) return Optional.empty();
        return Optional.of(new SourceModel(path, blob, mainDtype(tensors), architecture, parameters,
                Map.copyOf(planned)));
    }

    /** {@code general.architecture}, or null. */
    static String architectureOf(GgufHeader header) {
        return header.metadata().get(ConversionPlan.ARCHITECTURE_KEY) instanceof GgufValue.Str(String name)
                ? name : null;
    }

    /**
     * The quant level of a GGUF file: its {@code general.file_type} when that is one of the levels, else the level
     * whose base type holds most of the parameters of its 2-D tensors (the first such level: Q4_K reads as Q4_K_M).
     * Null when neither tells (no 2-D tensors, or a type no level produces).
     */
    static QuantLevel levelOf(GgufHeader header) {
        GgufValue fileType = header.metadata().get(ConversionPlan.FILE_TYPE_KEY);
        if (fileType != null) {
            try {
                long id = fileType.asLong();
                for (QuantLevel level : QuantLevel.values()) {
                    if (level.ftypeId == id) return level;
                }
            } catch (IllegalStateException notAnInteger) {
                // Fall back to the tensor types.
            }
        }
        Map<GgmlType, Long> elements = new EnumMap<>(GgmlType.class);
        for (TensorInfo t : header.tensors()) {
            if (t.nDims() >= 2) elements.merge(t.type(), t.elementCount(), Long::sum);
        }
        GgmlType dominant = elements.entrySet().stream().max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey).orElse(null);
        for (QuantLevel level : QuantLevel.values()) {
            if (level.baseType == dominant) return level;
        }
        return null;
    }

    /**
     * The size a level would have, estimated from a GGUF file's tensor table when there is no safetensors source:
     * the header as it is, 2-D tensors at the level's base type (F16 where the row length is not a multiple of its
     * block, as the converter does), other tensors as stored. It ignores the {@code _S/_M/_L} overrides and the
     * tensors an architecture never quantizes, so it is a little low for K-quant mixtures.
     */
    static long estimateFrom(GgufHeader reference, QuantLevel level) {
        long bytes = reference.dataOffset();
        for (TensorInfo t : reference.tensors()) {
            if (t.nDims() < 2) {
                bytes += t.byteSize();
            } else {
                GgmlType type = t.rowLength() % level.baseType.blockSize == 0 ? level.baseType : GgmlType.F16;
                bytes += t.elementCount() / type.blockSize * type.typeSize;
            }
        }
        return bytes;
    }

    /** The element type holding most of the tensors' elements. */
    private static Dtype mainDtype(List<SourceTensor> tensors) {
        Map<Dtype, Long> elements = new EnumMap<>(Dtype.class);
        for (SourceTensor t : tensors) elements.merge(t.dtype(), t.elementCount(), Long::sum);
        return Collections.max(elements.entrySet(), Map.Entry.comparingByValue()).getKey();
    }

    /**
     * A tensor known only from a safetensors header: enough for planning a conversion (names, shapes, dtypes); its
     * data stays in storage.
     */
    private record HeaderTensor(String name, long[] shape, Dtype dtype) implements SourceTensor {
        @Override
        public void readFloats(long firstElement, float[] dst, int dstOff, int count) {
            throw new UnsupportedOperationException("only the header of tensor '" + name + "' was read");
        }
    }
}
