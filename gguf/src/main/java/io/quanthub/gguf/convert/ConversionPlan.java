package io.quanthub.gguf.convert;

import io.quanthub.gguf.format.GgufLayout;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.TensorSpec;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.model.SourceTensor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * Everything the converter writes, decided before a byte is read: the architecture, the metadata, and for every
 * tensor its output name, dims and type with the reason. The result equals ComfyUI-GGUF's tool chain in one pass:
 * convert.py (stage 1, {@link ConvertStage}), the patched llama-quantize (stage 2, {@link QuantizeStage}) and, for
 * tensors of more than 4 dims, fix_5d_tensors.py.
 *
 * @param tensors  the output tensors in file order
 * @param metadata the KVs in file order
 * @param skipped  source tensors left out of the output, with the reason
 */
public record ConversionPlan(Architecture architecture, QuantLevel level, KeyPrefix prefix, List<TensorPlan> tensors,
                             SequencedMap<String, GgufValue> metadata, List<Skipped> skipped) {
    /** ggml's GGML_MAX_NAME as raised by lcpp.patch (128), minus the NUL. */
    public static final int MAX_NAME_BYTES = 127;
    /** gguf-py's GGML_QUANT_VERSION / llama.cpp's GGML_QNT_VERSION. */
    public static final int QUANTIZATION_VERSION = 2;
    /** Where convert.py stores the shape a tensor had before the SD shape fix. */
    public static final String ORIG_SHAPE_PREFIX = "comfy.gguf.orig_shape.";

    public static final String ARCHITECTURE_KEY = "general.architecture";
    public static final String QUANTIZATION_VERSION_KEY = "general.quantization_version";
    public static final String FILE_TYPE_KEY = "general.file_type";

    /** A source tensor that is not converted. */
    public record Skipped(String sourceName, String reason) {
    }

    public ConversionPlan {
        tensors = List.copyOf(tensors);
        metadata = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(metadata));
        skipped = List.copyOf(skipped);
    }

    /**
     * Plans the conversion of a model. For a GGUF source made by convert.py, {@code comfy.gguf.orig_shape.*} keys give
     * the logical shape of reshaped tensors, so the shape fix and its metadata are reproduced.
     */
    public static ConversionPlan of(ModelSource source, QuantLevel level) {
        return of(source, level, ConversionInputs.NONE);
    }

    /** {@link #of(ModelSource, QuantLevel)} with the inputs a text encoder needs (its tokenizer). */
    public static ConversionPlan of(ModelSource source, QuantLevel level, ConversionInputs inputs) {
        Map<String, long[]> logicalShapes = source.format() == ModelSource.Format.GGUF
                ? logicalShapes(source.metadata()) : Map.of();
        return of(source.tensors(), logicalShapes, level, inputs);
    }

    /**
     * The logical shapes a GGUF made by convert.py records in its {@code comfy.gguf.orig_shape.*} keys (metadata
     * values as text), by tensor name; for {@link #of(List, Map, QuantLevel)}.
     */
    public static Map<String, long[]> logicalShapes(Map<String, String> ggufMetadata) {
        Map<String, long[]> logicalShapes = new HashMap<>();
        ggufMetadata.forEach((key, value) -> {
            if (key.startsWith(ORIG_SHAPE_PREFIX)) {
                logicalShapes.put(key.substring(ORIG_SHAPE_PREFIX.length()), parseShape(key, value));
            }
        });
        return logicalShapes;
    }

    /**
     * Plans the conversion of these tensors.
     *
     * @param logicalShapes PyTorch shapes by source tensor name, overriding {@link SourceTensor#shape()} (same
     *                      element count; the data is the same row-major sequence)
     * @throws ConversionException when the model cannot be converted (unknown architecture, diffusers layout, long
     *                             names, non-float tensors, too many dims)
     */
    public static ConversionPlan of(List<SourceTensor> sources, Map<String, long[]> logicalShapes, QuantLevel level) {
        return of(sources, logicalShapes, level, ConversionInputs.NONE);
    }

    /**
     * Plans the conversion of these tensors; {@code inputs} carry what a text encoder needs besides them (see
     * {@link ConversionInputs}).
     */
    public static ConversionPlan of(List<SourceTensor> sources, Map<String, long[]> logicalShapes, QuantLevel level,
                                    ConversionInputs inputs) {
        // convert.py walks the state dict in safetensors' key order: sorted by name.
        List<SourceTensor> sorted = new ArrayList<>(sources);
        sorted.sort(Comparator.comparing(SourceTensor::name, TensorOrder::compareBytes));

        KeyPrefix prefix = KeyPrefix.detect(sorted.stream().map(SourceTensor::name).toList());
        List<Skipped> skipped = new ArrayList<>();
        SequencedMap<String, SourceTensor> byName = new LinkedHashMap<>();
        for (SourceTensor t : sorted) {
            Optional<String> name = prefix.strip(t.name());
            if (name.isEmpty()) {
                skipped.add(new Skipped(t.name(), "outside the diffusion model (no '" + prefix.prefix() + "' prefix)"));
            } else if (byName.putIfAbsent(name.get(), t) != null) {
                throw new ConversionException("tensors '" + byName.get(name.get()).name() + "' and '" + t.name()
                        + "' both become '" + name.get() + "' once the prefix '" + prefix.prefix() + "' is removed");
            }
        }
        checkNameLengths(byName.keySet());
        Architecture arch = Architecture.detect(byName.keySet());
        if (arch.usesLlamaCpp()) return LlamaConversion.plan(arch, prefix, byName, skipped, level, inputs);

        List<ConvertStage.Result> converted = new ArrayList<>();
        List<String> unconvertible = new ArrayList<>();
        for (Map.Entry<String, SourceTensor> e : byName.entrySet()) {
            String name = e.getKey();
            SourceTensor t = e.getValue();
            if (arch.ignores(name)) {
                skipped.add(new Skipped(t.name(), "ignored for " + arch.ggufName + " (convert.py keys_ignore)"));
                continue;
            }
            if (!t.dtype().isConvertible()) {
                unconvertible.add(name + " (" + t.dtype() + ")");
                continue;
            }
            long[] shape = logicalShapes.getOrDefault(t.name(), t.shape());
            checkElementCount(t, shape);
            converted.add(ConvertStage.apply(t, name, shape, arch, level));
        }
        if (!unconvertible.isEmpty()) {
            throw new ConversionException("only float tensors (F32, F16, BF16, F8) can be converted; found "
                    + String.join(", ", unconvertible));
        }

        // llama-quantize processes and writes tensors in its loader's order; tensors of more than 4 dims never pass
        // through it and are inserted afterwards by fix_5d_tensors.py.
        List<ConvertStage.Result> ordered = new ArrayList<>();
        List<ConvertStage.Result> ndTensors = new ArrayList<>();
        for (ConvertStage.Result r : converted) (r.nd() ? ndTensors : ordered).add(r);
        ordered.sort(Comparator.comparing(ConvertStage.Result::name, TensorOrder.LLAMA_QUANTIZE));

        QuantizeStage stage2 = new QuantizeStage(arch, level);
        List<TensorPlan> plans = new ArrayList<>();
        for (ConvertStage.Result r : ordered) {
            QuantizeStage.Result q = stage2.next(r);
            plans.add(new TensorPlan(r.source(), new TensorSpec(r.name(), q.dims(), q.type()), r.type(),
                    q.quantizable(), q.reason()));
        }
        insertNdTensors(plans, ndTensors);
        return new ConversionPlan(arch, level, prefix, plans, metadata(arch, level, converted), skipped);
    }

    /** The output's tensor specs in file order. */
    public List<TensorSpec> specs() {
        return tensors.stream().map(TensorPlan::output).toList();
    }

    /** The exact byte layout of the output file. */
    public GgufLayout layout() {
        return GgufLayout.compute(metadata, specs());
    }

    /** Elements in all output tensors. */
    public long elementCount() {
        return tensors.stream().mapToLong(TensorPlan::elementCount).sum();
    }

    /** Bytes of tensor data to produce (without padding): the progress total. */
    public long dataBytes() {
        return tensors.stream().mapToLong(TensorPlan::byteSize).sum();
    }

    /**
     * fix_5d_tensors.py copies the quantized file's tensors in order and inserts each 5-D tensor right after the
     * tensor whose name, with {@code .bias} replaced by {@code .weight}, is the 5-D tensor's name (its bias); any
     * 5-D tensor without such a neighbour goes at the end.
     */
    private static void insertNdTensors(List<TensorPlan> plans, List<ConvertStage.Result> ndTensors) {
        Map<String, TensorPlan> pending = new LinkedHashMap<>();
        for (ConvertStage.Result r : ndTensors) {
            pending.put(r.name(), new TensorPlan(r.source(), new TensorSpec(r.name(), r.ggufPyDims(), r.type()),
                    r.type(), false, r.reason()));
        }
        if (pending.isEmpty()) return;
        List<TensorPlan> merged = new ArrayList<>(plans.size() + pending.size());
        for (TensorPlan p : plans) {
            merged.add(p);
            TensorPlan nd = pending.remove(p.name().replace(".bias", ".weight"));
            if (nd != null) merged.add(nd);
        }
        merged.addAll(pending.values());
        plans.clear();
        plans.addAll(merged);
    }

    /**
     * The KVs in the order the tool chain leaves them. convert.py writes the architecture, the quantization version,
     * the file type, then one {@code comfy.gguf.orig_shape.*} per reshaped tensor. llama-quantize copies them and
     * sets the version and its own file type again, which moves both to the end. (fix_5d_tensors.py writes only the
     * first three keys, in convert.py's order, but it only runs for hyvid/wan, which have no orig_shape keys: the
     * same result.)
     */
    private static SequencedMap<String, GgufValue> metadata(Architecture arch, QuantLevel level,
                                                            List<ConvertStage.Result> converted) {
        SequencedMap<String, GgufValue> origShapes = new LinkedHashMap<>();
        for (ConvertStage.Result r : converted) {
            if (r.origShape() == null) continue;
            int[] shape = Arrays.stream(r.origShape()).mapToInt(Math::toIntExact).toArray();
            origShapes.put(ORIG_SHAPE_PREFIX + r.name(), GgufValue.ofInts(shape));
        }
        SequencedMap<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put(ARCHITECTURE_KEY, GgufValue.of(arch.ggufName));
        if (level.isUnquantized()) {
            kv.put(QUANTIZATION_VERSION_KEY, GgufValue.u32(QUANTIZATION_VERSION));
            kv.put(FILE_TYPE_KEY, GgufValue.u32(level.ftypeId));
            kv.putAll(origShapes);
        } else {
            kv.putAll(origShapes);
            kv.put(QUANTIZATION_VERSION_KEY, GgufValue.u32(QUANTIZATION_VERSION));
            kv.put(FILE_TYPE_KEY, GgufValue.u32(level.ftypeId));
        }
        return kv;
    }

    /** convert.py refuses names longer than 127 (ggml's raised GGML_MAX_NAME), listing all of them. */
    private static void checkNameLengths(Iterable<String> names) {
        List<String> tooLong = new ArrayList<>();
        for (String n : names) {
            int bytes = n.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_NAME_BYTES) tooLong.add("'" + n + "' (" + bytes + ")");
        }
        if (!tooLong.isEmpty()) {
            throw new ConversionException("tensor names may be at most " + MAX_NAME_BYTES + " bytes; too long: "
                    + String.join(", ", tooLong));
        }
    }

    private static void checkElementCount(SourceTensor t, long[] logical) {
        long n = 1;
        for (long d : logical) n *= d;
        if (n != t.elementCount()) {
            throw new ConversionException("tensor '" + t.name() + "': orig_shape " + Arrays.toString(logical)
                    + " does not match its " + t.elementCount() + " elements");
        }
    }

    /** Parses a GGUF array rendered as text, e.g. "[320, 320, 3, 3]". */
    private static long[] parseShape(String key, String text) {
        String body = text.trim();
        if (!body.startsWith("[") || !body.endsWith("]")) {
            throw new ConversionException("metadata " + key + " = " + text + " is not an array of dims");
        }
        body = body.substring(1, body.length() - 1).trim();
        if (body.isEmpty()) return new long[0];
        try {
            return Arrays.stream(body.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
        } catch (NumberFormatException e) {
            throw new ConversionException("metadata " + key + " = " + text + " is not an array of dims");
        }
    }
}
