package io.quanthub.inference.model;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.safetensors.SafetensorsModel;
import io.quanthub.gguf.safetensors.SafetensorsTensor;
import io.quanthub.inference.compute.Weight;

import io.quanthub.gguf.quant.Numerics;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The tensors of a model, memory-mapped where they are stored: a GGUF file (any mix of per-tensor types, as our
 * converter and city96's write them) or safetensors (F32, F16, BF16, and float8 widened to F16). Names are the
 * checkpoint's, with an optional
 * {@code model.diffusion_model.} prefix (stable-diffusion.cpp's conversions) removed.
 */
public final class ModelWeights implements AutoCloseable {
    /** The prefix stable-diffusion.cpp puts in front of diffusion-model tensors. */
    static final String SD_CPP_PREFIX = "model.diffusion_model.";
    private static final ValueLayout.OfShort F16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final SequencedMap<String, Weight> tensors;
    private final Map<String, String> metadata;
    private final AutoCloseable closer;

    private ModelWeights(Path path, SequencedMap<String, Weight> tensors, Map<String, String> metadata,
                         AutoCloseable closer) {
        this.path = path;
        this.tensors = Collections.unmodifiableSequencedMap(tensors);
        this.metadata = Map.copyOf(metadata);
        this.closer = closer;
    }

    /** Maps a .gguf file, or safetensors (a file, a shard index or a directory of shards). */
    public static ModelWeights open(Path path) throws IOException {
        return ModelSource.isGguf(path) ? openGguf(path) : openSafetensors(path);
    }

    private static ModelWeights openGguf(Path path) throws IOException {
        GgufFile gguf = GgufFile.open(path);
        try {
            SequencedMap<String, Weight> tensors = new LinkedHashMap<>();
            for (TensorInfo t : gguf.tensors()) put(tensors, new Weight(t.name(), t.type(), t.shape(), gguf.data(t)));
            Map<String, String> metadata = new LinkedHashMap<>();
            // Arrays (a tokenizer's vocabulary) are not settings anyone reads here.
            gguf.metadata().forEach((key, value) -> {
                if (!(value instanceof GgufValue.Arr)) metadata.put(key, value.toString());
            });
            return new ModelWeights(path, tensors, metadata, gguf);
        } catch (RuntimeException e) {
            gguf.close();
            throw new IOException(path.getFileName() + ": " + e.getMessage(), e);
        }
    }

    private static ModelWeights openSafetensors(Path path) throws IOException {
        SafetensorsModel model = SafetensorsModel.open(path);
        Arena widened = Arena.ofShared();
        try {
            SequencedMap<String, Weight> tensors = new LinkedHashMap<>();
            for (SafetensorsTensor t : model.tensors()) {
                // Integer tensors are buffers saved along with the weights (HF CLIP's position_ids), never weights.
                if (isInteger(t.dtype())) continue;
                put(tensors, weight(model, t, widened));
            }
            return new ModelWeights(path, tensors, model.metadata(), () -> {
                try (widened) {
                    model.close();
                }
            });
        } catch (RuntimeException e) {
            widened.close();
            model.close();
            throw new IOException(path.getFileName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * F32, F16 and BF16 safetensors data has exactly the layout of the ggml type of the same name and stays mapped.
     * float8 (ComfyUI's {@code t5xxl_fp8_e4m3fn}) has no ggml type: it is widened to F16 in memory, which holds every
     * E4M3 and E5M2 value exactly (twice the file's size, half of F32's).
     */
    private static Weight weight(SafetensorsModel model, SafetensorsTensor t, Arena widened) {
        return switch (t.dtype()) {
            case F32 -> new Weight(t.name(), GgmlType.F32, t.shape(), model.data(t));
            case F16 -> new Weight(t.name(), GgmlType.F16, t.shape(), model.data(t));
            case BF16 -> new Weight(t.name(), GgmlType.BF16, t.shape(), model.data(t));
            case F8_E4M3, F8_E5M2 -> new Weight(t.name(), GgmlType.F16, t.shape(), toF16(model, t, widened));
            default -> throw new IllegalArgumentException("tensor '" + t.name() + "' has dtype " + t.dtype()
                    + "; only F32, F16, BF16, F8_E4M3 and F8_E5M2 safetensors can be run");
        };
    }

    private static boolean isInteger(io.quanthub.gguf.safetensors.Dtype dtype) {
        return switch (dtype) {
            case BOOL, U8, I8, I16, U16, I32, U32, I64, U64 -> true;
            default -> false;
        };
    }

    private static MemorySegment toF16(SafetensorsModel model, SafetensorsTensor t, Arena arena) {
        long n = t.elementCount();
        MemorySegment out = arena.allocate(2 * n, 8);
        MemorySegment src = model.data(t);
        float[] chunk = new float[1 << 16];
        for (long i = 0; i < n; i += chunk.length) {
            int count = (int) Math.min(chunk.length, n - i);
            t.dtype().widen(src, i, chunk, 0, count);
            for (int j = 0; j < count; j++) out.set(F16_LE, 2 * (i + j), Numerics.fp32ToFp16(chunk[j]));
        }
        return out;
    }

    private static void put(Map<String, Weight> tensors, Weight w) {
        String name = w.name().startsWith(SD_CPP_PREFIX) ? w.name().substring(SD_CPP_PREFIX.length()) : w.name();
        if (tensors.put(name, w) != null) throw new IllegalArgumentException("tensor '" + name + "' appears twice");
    }

    public Path path() {
        return path;
    }

    /** The tensors by (prefix-free) name, in file order. */
    public SequencedMap<String, Weight> tensors() {
        return tensors;
    }

    /** The file's metadata as text: GGUF key-values (except arrays) or safetensors {@code __metadata__}. */
    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor with this name; fails naming it when the model lacks it. */
    public Weight weight(String name) {
        Weight w = tensors.get(name);
        if (w == null) throw new IllegalArgumentException(path.getFileName() + " has no tensor '" + name + "'");
        return w;
    }

    /** A small tensor (bias, norm scale) dequantized to floats. */
    public float[] vector(String name) {
        return weight(name).toFloats();
    }

    /** Unmaps the file(s); weights of this model become unreadable. */
    @Override
    public void close() {
        try {
            closer.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + path + ": " + e.getMessage(), e);
        }
    }
}
