package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.TensorSpec;
import io.quanthub.gguf.model.SourceTensor;

/**
 * What the converter writes for one source tensor.
 *
 * @param source       the source tensor (its name may still carry the state-dict prefix)
 * @param output       name, stored dims (ggml order, stored n_dims) and storage type in the output file
 * @param intermediate the type convert.py stored the tensor in (F32, F16 or BF16). llama-quantize quantizes what
 *                     convert.py wrote, so the source values are rounded through this type first: an F32 source
 *                     tensor that convert.py stored as F16 is quantized from its F16 values.
 * @param quantizable  true when llama-quantize's image-model rules select this tensor for quantization (a 2-D
 *                     weight outside the never-quantize lists), whatever the level; bits per weight count these
 * @param reason       why this type, for the summary and {@code inspect}
 */
public record TensorPlan(SourceTensor source, TensorSpec output, GgmlType intermediate, boolean quantizable,
                         String reason) {
    public String name() {
        return output.name();
    }

    public GgmlType type() {
        return output.type();
    }

    /** The elements of the tensor (the same in the source and the output). */
    public long elementCount() {
        return output.elementCount();
    }

    /** ne0 of the output: the row length quantization blocks run along. */
    public long rowLength() {
        return output.dims()[0];
    }

    /** Bytes of the tensor data in the output, without padding. */
    public long byteSize() {
        return output.byteSize();
    }
}
