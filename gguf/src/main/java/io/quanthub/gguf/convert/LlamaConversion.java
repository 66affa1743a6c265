package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.TensorSpec;
import io.quanthub.gguf.model.SourceTensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * Plans a conversion with llama.cpp's own tool chain, for the architectures that {@link Architecture#usesLlamaCpp}:
 * <ol>
 *   <li>its converter ({@code convert_hf_to_gguf.py}): the names of {@link LlamaTensorNames}, written in module order
 *       (the order of the shared reference t5.gguf, written with gguf-py's calls from the model's state dict; the
 *       converter itself writes in the order it reads the safetensors keys, so its F32/F16 files list the same
 *       tensors in another order), with the converter's metadata ({@link T5EncoderMetadata}). F32 and quantized levels start from
 *       {@code --outtype f32}; F16/BF16 are {@code --outtype f16/bf16}, which keep 1-D tensors and names not ending in
 *       {@code .weight} in F32;</li>
 *   <li>for quantized levels, stock {@code llama_model_quantize} on that F32 file ({@link LlamaQuantRules}): tensors in
 *       its loader's order ({@link TensorOrder#LLAMA_QUANTIZE}), the quantization version and file type moved to the
 *       end of the metadata.</li>
 * </ol>
 * Quantizing from the F32 file means the source values are quantized as they are, with no F16 rounding first.
 */
final class LlamaConversion {
    private LlamaConversion() {
    }

    private record Item(SourceTensor source, LlamaTensorNames.Mapped mapped, long[] shape) {
        String name() {
            return mapped.gguf();
        }

        /** gguf-py's dims: the numpy shape reversed. */
        long[] ggufPyDims() {
            long[] dims = new long[Math.max(shape.length, 1)];
            Arrays.fill(dims, 1);
            for (int i = 0; i < shape.length; i++) dims[i] = shape[shape.length - 1 - i];
            return dims;
        }
    }

    static ConversionPlan plan(Architecture arch, KeyPrefix prefix, SequencedMap<String, SourceTensor> byName,
                               List<ConversionPlan.Skipped> skipped, QuantLevel level, ConversionInputs inputs) {
        LlamaTensorNames names = arch.llamaCppNames;
        List<Item> items = new ArrayList<>();
        List<String> unmapped = new ArrayList<>();
        List<String> unconvertible = new ArrayList<>();
        String embeddingFrom = null;
        for (Map.Entry<String, SourceTensor> e : byName.entrySet()) {
            String key = e.getKey();
            SourceTensor t = e.getValue();
            if (names.ignores(key)) {
                skipped.add(new ConversionPlan.Skipped(t.name(), "not part of the " + arch.ggufName + " model"));
                continue;
            }
            Optional<LlamaTensorNames.Mapped> mapped = names.map(key);
            if (mapped.isEmpty()) {
                unmapped.add(key);
                continue;
            }
            if (mapped.get().embedding()) {
                if (embeddingFrom != null) {
                    skipped.add(new ConversionPlan.Skipped(t.name(), "shared token embedding already taken from '"
                            + embeddingFrom + "' (llama.cpp's converter keeps the first)"));
                    continue;
                }
                embeddingFrom = key;
            }
            if (!t.dtype().isConvertible()) {
                unconvertible.add(key + " (" + t.dtype() + ")");
                continue;
            }
            items.add(new Item(t, mapped.get(), t.shape()));
        }
        if (!unmapped.isEmpty()) {
            throw new ConversionException("cannot map " + unmapped.size() + " tensors to llama.cpp's " + arch.ggufName
                    + " names, e.g. '" + unmapped.getFirst() + "'");
        }
        if (!unconvertible.isEmpty()) {
            throw new ConversionException("only float tensors (F32, F16, BF16, F8) can be converted; found "
                    + String.join(", ", unconvertible));
        }
        items.sort(Comparator.comparing(Item::mapped, LlamaTensorNames.Mapped.WRITE_ORDER));
        Map<String, long[]> shapes = new HashMap<>();
        for (Item i : items) {
            if (shapes.put(i.name(), i.shape()) != null) {
                throw new ConversionException("two source tensors become '" + i.name() + "'");
            }
        }

        T5EncoderMetadata.Hparams hparams = T5EncoderMetadata.Hparams.of(shapes, inputs.config());
        QuantLevel converterLevel = level.isUnquantized() ? level : QuantLevel.F32;
        SequencedMap<String, GgufValue> metadata = T5EncoderMetadata.of(inputs.modelName(), hparams,
                inputs.tokenizerJson(), converterLevel.ftypeId);

        List<TensorPlan> plans = new ArrayList<>();
        if (level.isUnquantized()) {
            for (Item i : items) {
                GgmlType type = converterType(i, level);
                String why = type == level.baseType ? level + " requested"
                        : "F32: llama.cpp's converter keeps 1-D tensors, norms and non-weights in F32";
                int ggmlDims = QuantizeStage.ggmlNDims(i.ggufPyDims());
                boolean quantizable = LlamaQuantRules.whyNotQuantized(i.name(), ggmlDims).isEmpty();
                plans.add(new TensorPlan(i.source(), new TensorSpec(i.name(), i.ggufPyDims(), type), type,
                        quantizable, why));
            }
        } else {
            items.sort(Comparator.comparing(Item::name, TensorOrder.LLAMA_QUANTIZE));
            LlamaQuantRules rules = new LlamaQuantRules(items.stream().map(Item::name).toList(), hparams.blocks(), 1);
            for (Item i : items) {
                long[] pyDims = i.ggufPyDims();
                long[] dims = Arrays.copyOf(pyDims, QuantizeStage.ggmlNDims(pyDims));
                Optional<String> notQuantized = LlamaQuantRules.whyNotQuantized(i.name(), dims.length);
                GgmlType type = GgmlType.F32;
                String why;
                if (notQuantized.isPresent()) {
                    why = "F32 kept: " + notQuantized.get();
                } else {
                    type = rules.typeFor(i.name(), dims[0], level);
                    why = type == level.baseType ? type + ": base type of " + level
                            : type + ": llama-quantize's choice for " + level + " (mixture rule or row-length fallback)";
                }
                plans.add(new TensorPlan(i.source(), new TensorSpec(i.name(), dims, type), GgmlType.F32,
                        notQuantized.isEmpty(), why));
            }
            // llama-quantize sets both keys again, which moves them to the end.
            metadata.remove(ConversionPlan.FILE_TYPE_KEY);
            metadata.put(ConversionPlan.QUANTIZATION_VERSION_KEY, GgufValue.u32(ConversionPlan.QUANTIZATION_VERSION));
            metadata.put(ConversionPlan.FILE_TYPE_KEY, GgufValue.u32(level.ftypeId));
        }
        return new ConversionPlan(arch, level, prefix, plans, metadata, skipped);
    }

    /**
     * convert_hf_to_gguf.py's type for --outtype f32/f16/bf16 ({@code prepare_tensors}): 1-D tensors, norms and names
     * not ending in {@code .weight} stay F32 (its other F32 tensors, e.g. position embeddings, do not occur in T5).
     */
    private static GgmlType converterType(Item i, QuantLevel level) {
        if (level == QuantLevel.F32 || i.shape().length <= 1 || i.name().endsWith("_norm.weight")
                || !i.name().endsWith(".weight")) {
            return GgmlType.F32;
        }
        return level.baseType;
    }
}
