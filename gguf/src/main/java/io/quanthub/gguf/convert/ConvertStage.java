package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.model.SourceTensor;
import io.quanthub.gguf.safetensors.Dtype;

import java.util.Arrays;

/**
 * Stage 1: the per-tensor rules of ComfyUI-GGUF's tools/convert.py ({@code handle_tensors}; spec
 * comfyui-gguf-compat.md §2.1, §4.2, §4.4), which decide the F32/F16/BF16 storage type and the SD1/SDXL reshape.
 */
final class ConvertStage {
    /** Tensors with at most this many elements are kept in F32 (when the source is F32/BF16). */
    static final long QUANTIZATION_THRESHOLD = 1024;
    /** The SD shape fix only reshapes tensors with at least this many elements. */
    static final long REARRANGE_THRESHOLD = 512;
    /** ggml (and so llama-quantize) handles at most 4 dims. */
    static final int MAX_TENSOR_DIMS = 4;
    /** The row length the SD shape fix produces: QK_K, so K-quants apply. */
    static final long SHAPE_FIX_ROW = 256;

    /**
     * One tensor after stage 1.
     *
     * @param shape     PyTorch-order shape as convert.py writes it (after the SD shape fix, if any)
     * @param origShape the shape before the SD shape fix, or null when the tensor was not reshaped
     * @param type      F32, F16 or BF16
     * @param nd        a tensor of more than 4 dims, kept aside and inserted as F32 (fix_5d_tensors.py)
     */
    record Result(SourceTensor source, String name, long[] shape, long[] origShape, GgmlType type, boolean nd,
                  String reason) {
        /** The dims gguf-py writes: the numpy shape reversed, every dim kept (a scalar is stored as [1]). */
        long[] ggufPyDims() {
            long[] dims = new long[Math.max(shape.length, 1)];
            Arrays.fill(dims, 1);
            for (int i = 0; i < shape.length; i++) dims[i] = shape[shape.length - 1 - i];
            return dims;
        }
    }

    private ConvertStage() {
    }

    /**
     * Applies convert.py's rules to one tensor.
     *
     * @param name    the output name (prefix stripped)
     * @param shape   the logical PyTorch shape
     * @param level   F32/F16/BF16 levels replace convert.py's "BF16 stays BF16, everything else F16" default
     *                with the requested type; F32 stores everything as F32
     */
    static Result apply(SourceTensor source, String name, long[] shape, Architecture arch, QuantLevel level) {
        Dtype dtype = source.dtype();
        long elements = 1;
        for (long d : shape) elements *= d;

        if (shape.length > MAX_TENSOR_DIMS) {
            if (!arch.keepsNdTensors) {
                throw new ConversionException("tensor '" + name + "' has " + shape.length + " dims; only hyvid and"
                        + " wan models may have tensors of more than " + MAX_TENSOR_DIMS + " dims (this is "
                        + arch.ggufName + ")");
            }
            // convert.py hands it to fix_5d_tensors.py, which inserts it as F32 of the exactly widened source values.
            return new Result(source, name, shape, null, GgmlType.F32, true,
                    shape.length + "-D tensor kept as F32 (ComfyUI's fix_5d_tensors.py)");
        }

        GgmlType type;
        String why;
        if (level == QuantLevel.F32) {
            type = GgmlType.F32;
            why = "F32 requested";
        } else if (level.isUnquantized()) {
            type = level.baseType;
            why = level + " requested";
        } else if (dtype == Dtype.BF16) {
            type = GgmlType.BF16;
            why = "BF16 like the source";
        } else {
            // F32 sources are downcast to F16 on convert.py's main branch; float8 is upcast to F16.
            type = GgmlType.F16;
            why = dtype == Dtype.F16 ? "F16 like the source" : "F16 from a " + dtype + " source (convert.py)";
        }

        // F32 promotion, only for F32 and BF16 sources: an F16 or float8 source keeps these tensors in F16.
        if (type != GgmlType.F32 && (dtype == Dtype.F32 || dtype == Dtype.BF16)) {
            if (shape.length == 1) {
                type = GgmlType.F32;
                why = "F32: 1-D tensor of a " + dtype + " source (convert.py)";
            } else if (elements <= QUANTIZATION_THRESHOLD) {
                type = GgmlType.F32;
                why = "F32: " + elements + " elements <= " + QUANTIZATION_THRESHOLD + " (convert.py)";
            } else if (arch.hiprecMatch(name).isPresent()) {
                type = GgmlType.F32;
                why = "F32: " + arch.ggufName + " keeps '" + arch.hiprecMatch(name).get()
                        + "' in full precision (convert.py keys_hiprec)";
            }
        }

        long[] origShape = null;
        long[] stored = shape;
        if (arch.shapeFix && shape.length > 1 && elements >= REARRANGE_THRESHOLD
                && elements % SHAPE_FIX_ROW == 0 && shape[shape.length - 1] % SHAPE_FIX_ROW != 0) {
            origShape = shape;
            stored = new long[] {elements / SHAPE_FIX_ROW, SHAPE_FIX_ROW};
            why += "; reshaped " + Arrays.toString(shape) + " to " + Arrays.toString(stored)
                    + " (SD shape fix, comfy.gguf.orig_shape)";
        }
        return new Result(source, name, stored, origShape, type, false, why);
    }
}
